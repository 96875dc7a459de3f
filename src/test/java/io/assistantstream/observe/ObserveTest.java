package io.assistantstream.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /observe/health}, {@code /observe/metrics} and the answer log, on a real service. */
class ObserveTest {
    private final HttpClient http = HttpClient.newHttpClient();
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private HttpResponse<String> get(AssistantStream service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The named check of a health answer. */
    private static JsonNode check(HttpResponse<String> health, String name) {
        for (JsonNode check : Json.parse(health.body()).path("checks")) {
            if (check.path("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + health.body());
    }

    @Test
    void health_is_up_with_the_state_and_round_trip_of_each_dependency() throws Exception {
        AssistantStream service = world.start();
        HttpResponse<String> health = get(service, "/observe/health");

        assertEquals(200, health.statusCode(), health.body());
        assertEquals("UP", Json.parse(health.body()).path("status").asText());
        for (String name : List.of("redis", "rabbitmq", "openai")) {
            JsonNode check = check(health, name);
            assertEquals("UP", check.path("status").asText(), health.body());
            assertTrue(check.path("data").path("round_trip_ms").isNumber(), health.body());
        }
        assertTrue(check(health, "rabbitmq").path("data").path("consuming").asBoolean());
        assertTrue(check(health, "openai").path("data").path("reachable").asBoolean());
        assertEquals(200, get(service, "/observe/health/live").statusCode());
    }

    @Test
    void readiness_is_down_while_redis_is_away_and_up_again_without_a_restart() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            world.set("redis.url", redis.url());
            AssistantStream service = world.start();
            Readiness.await(service.port(), 200);

            redis.stop();
            HttpResponse<String> down = Readiness.await(service.port(), 503);
            assertEquals("DOWN", check(down, "redis").path("status").asText(), down.body());
            assertEquals("UP", check(down, "rabbitmq").path("status").asText(), down.body());
            assertEquals(200, get(service, "/observe/health/live").statusCode(), "liveness stays up");

            redis.start();
            Readiness.await(service.port(), 200);
        }
    }

    @Test
    void readiness_is_down_while_rabbitmq_is_away_and_up_again_once_the_consumer_is_back() throws Exception {
        try (TcpProxy rabbit = new TcpProxy(5672)) {
            world.set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:" + rabbit.port() + "/");
            AssistantStream service = world.start();
            Readiness.await(service.port(), 200);

            rabbit.refuse(true);
            HttpResponse<String> down = Readiness.await(service.port(), 503);
            assertEquals("DOWN", check(down, "rabbitmq").path("status").asText(), down.body());
            assertEquals(200, get(service, "/observe/health/live").statusCode(), "liveness stays up");

            rabbit.refuse(false);
            HttpResponse<String> up = Readiness.await(service.port(), 200);
            assertTrue(check(up, "rabbitmq").path("data").path("consuming").asBoolean(), up.body());
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("after-recovery");
                world.rabbit().publish("after-recovery", "m", "still here");
                assertEquals("completed", client.answer("m").getLast().get("status").asText());
            }
        }
    }

    @Test
    void an_unreachable_openai_is_reported_but_leaves_readiness_up() throws Exception {
        world.set("openai.base.url", "http://127.0.0.1:9/v1");
        AssistantStream service = world.start();
        HttpResponse<String> ready = get(service, "/observe/health/ready");

        assertEquals(200, ready.statusCode(), ready.body());
        JsonNode openAi = check(ready, "openai");
        assertEquals("UP", openAi.path("status").asText());
        assertFalse(openAi.path("data").path("reachable").asBoolean(), ready.body());
        assertFalse(openAi.path("data").path("affects_readiness").asBoolean());
    }

    @Test
    void metrics_count_deliveries_answers_frames_sessions_tools_and_openai_requests() throws Exception {
        AssistantStream service = world.start();
        Metrics before = metrics(service);
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("metered");
            world.rabbit().publish("metered", "m1", "weather !tool=Zocca");
            client.answer("m1");
            world.rabbit().publish("{\"channel\":\"metered\"}");
            client.next();
            Metrics during = metrics(service);
            assertTrue(during.value("assistant_stream_websocket_sessions") >= 1, "a session is open");
            assertTrue(during.value("assistant_stream_websocket_subscriptions") >= 1, "a subscription is open");
        }
        // completed and dead-lettered are counted once the broker has the ack or the dead letter,
        // which can come just after the frames a client sees
        Metrics after = metrics(service);
        for (long until = System.nanoTime() + TestWorld.timeout().toNanos();
             (after.delta(before, "assistant_stream_deliveries_completed_total") < 1
                     || after.delta(before, "assistant_stream_deliveries_dead_lettered_total") < 1)
                     && System.nanoTime() < until; after = metrics(service)) {
            Thread.sleep(50);
        }

        assertEquals(2, after.delta(before, "assistant_stream_deliveries_received_total"));
        assertEquals(1, after.delta(before, "assistant_stream_deliveries_completed_total"));
        assertEquals(1, after.delta(before, "assistant_stream_deliveries_failed_total", "reason=\"invalid_input\""));
        assertEquals(1, after.delta(before, "assistant_stream_deliveries_dead_lettered_total"));
        assertEquals(3, after.delta(before, "assistant_stream_openai_requests_total", "status=\"200\""),
                "a conversation, then a response before the tool and one after it");
        assertEquals(1, after.delta(before, "assistant_stream_tool_calls_total", "tool=\"get_weather\"",
                "outcome=\"ok\""));
        assertTrue(after.delta(before, "assistant_stream_frames_sent_total") >= 5);
        for (String histogram : List.of("queue_wait", "first_token", "answer_duration")) {
            assertEquals(1, after.delta(before, "assistant_stream_" + histogram + "_seconds_count"), histogram);
            assertTrue(after.text().contains("# TYPE assistant_stream_" + histogram + "_seconds histogram"), histogram);
            assertTrue(after.text().contains("assistant_stream_" + histogram + "_seconds_bucket{"), histogram);
        }
        assertEquals(0, after.value("assistant_stream_answers_in_flight"));
        assertFalse(after.text().lines().anyMatch(line -> line.startsWith("assistant_stream_")
                && line.contains("quantile=")), "histograms, not summaries");
    }

    @Test
    void an_answer_logs_one_line_with_its_ids_outcome_and_durations_and_none_per_token() throws Exception {
        AssistantStream service = world.start();
        try (LogWatch log = LogWatch.of("io.assistantstream"); WsClient client = WsClient.connect(service.port())) {
            client.subscribe("logged");
            world.rabbit().publish("logged", "msg-logged", "!words=40");
            String thread = client.answer("msg-logged").getLast().get("thread_id").asText();
            assertTrue(log.await("Answered message msg-logged", Duration.ofSeconds(5)));

            List<String> lines = log.lines().stream().filter(line -> line.contains("msg-logged")).toList();
            assertEquals(1, lines.size(), lines.toString());
            String line = lines.getFirst();
            for (Predicate<String> part : List.<Predicate<String>>of(l -> l.contains("of channel logged"),
                    l -> l.contains(": completed"), l -> l.contains("in thread " + thread),
                    l -> l.matches(".*waited \\d+ ms, first text \\d+ ms, total \\d+ ms.*"))) {
                assertTrue(part.test(line), line);
            }
        }
    }

    private Metrics metrics(AssistantStream service) throws Exception {
        HttpResponse<String> response = get(service, "/observe/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        return new Metrics(response.body());
    }

    /** Prometheus text, read by sample name and label fragments. */
    private record Metrics(String text) {
        double value(String name, String... labels) {
            return text.lines().filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                    .filter(line -> List.of(labels).stream().allMatch(line::contains))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
        }

        long delta(Metrics before, String name, String... labels) {
            return Math.round(value(name, labels) - before.value(name, labels));
        }
    }
}
