package io.assistantstream;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code /ws} protocol: both subscribe forms, unsubscribe, error replies, slow clients catching up. */
class WebSocketTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest().set("websocket.send.queue.bytes", "2097152")
            .set("websocket.max.subscriptions", "3");
    private final Rabbit rabbit = world.rabbit();
    private AssistantStream service;

    @BeforeEach
    void start() throws Exception {
        service = world.start();
    }

    @Test
    void the_relay_protocol_subscribe_form_works_too() throws Exception {
        try (WsClient client = WsClient.connect(service.port())) {
            client.send("{\"type\":\"subscribe\",\"payload\":{\"channel\":\"relay-form\"}}");
            JsonNode reply = client.next();
            assertEquals("subscribed", reply.get("type").asText());
            assertEquals("relay-form", reply.get("channel").asText());
            rabbit.publish("relay-form", "m", "hi");
            assertEquals("Echo: hi", client.answer("m").getLast().get("message").asText());
        }
    }

    @Test
    void after_unsubscribe_no_more_frames_arrive() throws Exception {
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("u1");
            client.subscribe("u2");
            client.send("{\"action\":\"unsubscribe\",\"channel\":\"u1\"}");
            JsonNode reply = client.next();
            assertEquals("unsubscribed", reply.get("type").asText());
            assertEquals("u1", reply.get("channel").asText());
            try (WsClient witness = WsClient.connect(service.port())) {
                witness.subscribe("u1");
                rabbit.publish("u1", "m1", "first");
                witness.answer("m1"); // u1's answer is over: any of its frames would have reached client by now
            }
            rabbit.publish("u2", "m2", "second");
            client.answer("m2").forEach(frame -> assertEquals("u2", frame.get("channel").asText()));
            client.send("{\"type\":\"unsubscribe\",\"payload\":{\"channel\":\"u2\"}}");
            assertEquals("unsubscribed", client.next().get("type").asText());
        }
    }

    @Test
    void malformed_client_messages_get_an_error_reply_and_the_connection_stays_open() throws Exception {
        try (WsClient client = WsClient.connect(service.port())) {
            String[][] cases = {
                    {"not json", "not JSON"},
                    {"[1,2]", "expected a JSON object"},
                    {"{\"action\":\"dance\",\"channel\":\"c\"}", "unknown action 'dance'"},
                    {"{\"action\":\"subscribe\"}", "needs a string 'channel'"},
                    {"{\"action\":\"subscribe\",\"channel\":42}", "needs a string 'channel'"},
                    {"{\"action\":\"subscribe\",\"channel\":\"\"}", "channel is empty"},
                    {"{\"action\":\"subscribe\",\"channel\":\"" + "x".repeat(300) + "\"}", "more than the 256 allowed"},
                    {"x".repeat(20_000), "message too large"}};
            for (String[] c : cases) {
                client.send(c[0]);
                JsonNode reply = client.next();
                assertEquals("error", reply.get("type").asText(), c[0]);
                assertEquals("error", reply.get("status").asText());
                assertTrue(reply.get("message").asText().contains(c[1]), reply + " for " + c[0]);
            }
            client.sendBinary(new byte[] {1, 2, 3});
            assertTrue(client.next().get("message").asText().contains("binary messages are not supported"));
            client.subscribe("a");
            client.subscribe("b");
            client.subscribe("c");
            client.send("{\"action\":\"subscribe\",\"channel\":\"d\"}");
            assertTrue(client.next().get("message").asText().contains("too many subscriptions"));
            client.subscribe("a"); // subscribing again to a channel already held is fine
            rabbit.publish("a", "m", "still open");
            assertEquals("completed", client.answer("m").getLast().get("status").asText());
        }
    }

    @Test
    void a_subscribe_flood_gets_errors_past_the_limits_and_wedges_nothing() throws Exception {
        try (WsClient flooder = WsClient.connect(service.port()); WsClient other = WsClient.connect(service.port())) {
            long start = System.nanoTime();
            for (int sent = 0; sent < 2_000; sent++) {
                flooder.send("{\"action\":\"subscribe\",\"channel\":\"flood-" + sent + "\"}");
            }
            int subscribed = 0;
            int refused = 0;
            int limited = 0;
            for (Optional<JsonNode> reply; (reply = flooder.poll(2_000)).isPresent(); ) {
                if (reply.get().get("type").asText().equals("subscribed")) {
                    subscribed++;
                } else if (reply.get().path("code").asText().equals("too_many_subscriptions")) {
                    refused++;
                } else if (reply.get().path("code").asText().equals("rate_limited")) {
                    limited++;
                }
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(subscribed <= 3, "at most the subscription limit: " + subscribed);
            // a burst is taken (past the 3 subscriptions: refused), then the rate ignores the rest, said once a second
            assertTrue(refused >= 10 && limited >= 1 && limited <= seconds + 1,
                    subscribed + " subscribed, " + refused + " refused, " + limited + " rate-limited in " + seconds + " s");
            assertFalse(flooder.isClosed(), "the flooder is answered, not dropped");
            other.subscribe("calm");
            rabbit.publish("calm", "m", "unbothered");
            assertEquals("completed", other.answer("m").getLast().get("status").asText());
        }
    }

    @Test
    void a_client_that_stops_reading_catches_up_with_merged_frames_and_does_not_slow_the_others() throws Exception {
        try (LogWatch writerLog = LogWatch.of("io.assistantstream.hub.ClientWriter");
             WsClient stalled = WsClient.connectNotReading(service.port());
             WsClient reader = WsClient.connect(service.port())) {
            stalled.send("{\"action\":\"subscribe\",\"channel\":\"flood\"}");
            reader.subscribe("flood");
            Thread.sleep(200); // the stalled client's subscribe is processed (its reply is not read yet)
            double coalesced = service.meters().websocketFramesCoalesced().count();
            long start = System.nanoTime();
            rabbit.publish("flood", "big", "!words=4000 !delay=2"); // paced, so a reading client keeps up
            JsonNode last = reader.answer("big").getLast();
            assertEquals("completed", last.get("status").asText());
            assertTrue(last.get("message").asText().endsWith(" w4000"));
            assertTrue(System.nanoTime() - start < 20_000_000_000L, "the stalled client slowed nobody");

            stalled.resumeReading(); // its backlog: the in_progress frames merged while it did not read
            List<JsonNode> frames = stalled.answer("big");
            StringBuilder deltas = new StringBuilder();
            for (JsonNode frame : frames) {
                if (frame.path("status").asText().equals("in_progress")) {
                    deltas.append(frame.get("delta").asText());
                }
            }
            assertEquals(last.get("message").asText(), frames.getLast().get("message").asText());
            assertEquals(last.get("message").asText(), deltas.toString(), "the deltas add up to the answer");
            assertTrue(service.meters().websocketFramesCoalesced().count() > coalesced, "frames were merged");
            assertEquals(0, writerLog.count("Dropping a WebSocket client"));
            assertFalse(stalled.isClosed(), "not dropped");
        }
    }
}
