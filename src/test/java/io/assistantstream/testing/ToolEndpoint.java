package io.assistantstream.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;

/**
 * A loopback HTTP endpoint for the tools of a tools file: each POST is recorded (path, headers, body)
 * and answered by the {@link Reply} set for its path (default: 200 {@code {"ok":true}}), after the
 * reply's delay.
 */
public final class ToolEndpoint implements AutoCloseable {
    /** What a path answers: a status, a body, after a delay. */
    public record Reply(int status, String body, Duration delay) {
        public static Reply of(int status, String body) {
            return new Reply(status, body, Duration.ZERO);
        }
    }

    /** One request as the endpoint received it; header names lower-case. */
    public record Received(String path, Map<String, String> headers, String body) {
        public JsonNode json() {
            return Json.parse(body);
        }
    }

    private final Map<String, Reply> replies = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final WebServer server;

    private ToolEndpoint() {
        server = WebServer.builder().host("127.0.0.1").port(0)
                .routing(routing -> routing.post("/*", (req, res) -> {
                    Map<String, String> headers = new TreeMap<>();
                    req.headers().forEach(h -> headers.put(h.name().toLowerCase(Locale.ROOT), h.get()));
                    String path = req.path().path();
                    received.add(new Received(path, headers, req.content().as(String.class)));
                    Reply reply = replies.getOrDefault(path, Reply.of(200, "{\"ok\":true}"));
                    Thread.sleep(reply.delay());
                    res.status(Status.create(reply.status()));
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    res.send(reply.body().getBytes(StandardCharsets.UTF_8));
                }))
                .build().start();
    }

    public static ToolEndpoint start() {
        return new ToolEndpoint();
    }

    /** Makes {@code path} answer {@code reply} from now on. */
    public ToolEndpoint answer(String path, Reply reply) {
        replies.put(path, reply);
        return this;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    /** Every request so far, in arrival order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop();
    }
}
