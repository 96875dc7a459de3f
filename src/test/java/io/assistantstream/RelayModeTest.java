package io.assistantstream;

import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.intake.Intake;
import io.assistantstream.testing.FakeRelay;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code WEBSOCKET_MODE=relay}: answers go to an external relay over the seed's relay protocol. */
class RelayModeTest {
    private final FakeRelay relay = FakeRelay.start();
    @RegisterExtension
    final TestWorld world = TestWorld.perTest()
            .closing(relay)
            .set("websocket.mode", "relay")
            .set("websocket.url", relay.url().toString())
            .set("websocket.relay.max.backoff.ms", "200");
    private final Rabbit rabbit = world.rabbit();

    /** The relay's frames of one message, once its terminal frame has arrived. */
    private List<JsonNode> answer(String channel, String messageId) throws InterruptedException {
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (System.nanoTime() < until) {
            List<JsonNode> frames = relay.frames(channel).stream()
                    .filter(f -> f.path("message_id").asText().equals(messageId)).toList();
            if (!frames.isEmpty() && frames.getLast().path("final_message").asBoolean()) {
                return frames;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no terminal frame for " + messageId + " on " + channel + ": " + relay.frames(channel));
    }

    /** Drops exact repeats (a frame sent again after a break carries the same seq) and checks the rest. */
    private static List<JsonNode> inSeqOrder(List<JsonNode> frames) {
        List<JsonNode> distinct = new ArrayList<>();
        for (JsonNode frame : frames) {
            if (!distinct.isEmpty() && distinct.getLast().equals(frame)) {
                continue;
            }
            assertTrue(distinct.isEmpty() || frame.get("seq").asLong() == distinct.getLast().get("seq").asLong() + 1,
                    "seq follows " + (distinct.isEmpty() ? "nothing" : distinct.getLast()) + ": " + frame);
            distinct.add(frame);
        }
        return distinct;
    }

    @Test
    void answers_of_several_channels_go_over_one_connection_in_the_relay_envelope() throws Exception {
        AssistantStream service = world.start();
        rabbit.publish("relay-a", "m1", "hello relay");
        rabbit.publish("relay-b", "m2", "second channel");

        List<JsonNode> a = answer("relay-a", "m1");
        List<JsonNode> b = answer("relay-b", "m2");
        assertEquals(List.of("started", "responding", "in_progress", "in_progress", "in_progress", "completed"),
                a.stream().map(f -> f.get("status").asText()).toList());
        assertEquals("Echo: hello relay", a.getLast().get("message").asText());
        assertEquals("Echo: second channel", b.getLast().get("message").asText());
        assertEquals(a, inSeqOrder(a));
        assertEquals(1, a.getFirst().get("seq").asLong());
        assertEquals(1, relay.connections());
        assertEquals(1, relay.subscribes("relay-a"));
        assertEquals(1, relay.subscribes("relay-b"));
        List<String> wire = relay.messages(0);
        String subscribe = "{\"type\":\"subscribe\",\"payload\":{\"channel\":\"relay-a\"}}";
        assertTrue(wire.indexOf(subscribe) >= 0 && wire.indexOf(subscribe) < firstFrameOf(wire, "relay-a"), wire.toString());
        assertTrue(wire.get(firstFrameOf(wire, "relay-a")).startsWith("{\"type\":\"relay-a\",\"payload\":{\"seq\":1,"));
        assertEquals(List.of(), world.redis().pubsubChannels(world.prefix() + "frames:*"), "no frame on Redis pub/sub");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> WsClient.connect(service.port()));
        assertEquals(404, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode(),
                "no /ws in relay mode");
    }

    private static int firstFrameOf(List<String> wire, String channel) {
        for (int i = 0; i < wire.size(); i++) {
            if (wire.get(i).startsWith("{\"type\":\"" + channel + "\"")) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    @Test
    void a_relay_restart_in_the_middle_of_an_answer_loses_nothing_and_reorders_nothing() throws Exception {
        world.start();
        rabbit.publish("relay-r", "m", "!words=60 !delay=20");
        relay.awaitFrames("relay-r", 5, TestWorld.timeout());
        relay.stop();
        Thread.sleep(300);
        relay.restart();

        List<JsonNode> frames = inSeqOrder(answer("relay-r", "m"));
        assertEquals("completed", frames.getLast().get("status").asText());
        StringBuilder deltas = new StringBuilder();
        frames.stream().filter(f -> f.has("delta")).forEach(f -> deltas.append(f.get("delta").asText()));
        assertEquals(frames.getLast().get("message").asText(), deltas.toString(), "no delta lost");
        assertTrue(frames.getLast().get("message").asText().endsWith("w59 w60"));
        assertTrue(relay.connections() >= 2, "reconnected");
        assertTrue(relay.subscribes("relay-r") >= 2, "subscribed again on the new connection");
        assertEquals(0, rabbit.messageCount(world.queue()), "acknowledged");
        assertEquals(0, rabbit.messageCount(world.deadLetterQueue()));
    }

    @Test
    void frames_that_find_the_relay_buffer_full_send_the_message_back_to_the_queue() throws Exception {
        world.set("websocket.relay.buffer", "3");
        relay.stop();
        try (LogWatch requeues = LogWatch.of(Intake.class.getName())) {
            world.start();
            rabbit.publish("relay-full", "m", "!words=8");
            assertTrue(requeues.await("Requeueing message m of channel relay-full", Duration.ofSeconds(20)));
            String requeued = requeues.lines().stream().filter(line -> line.contains("Requeueing")).findFirst().orElseThrow();
            assertTrue(requeued.contains("relay"), requeued);
        }
        relay.restart();

        List<JsonNode> frames = answer("relay-full", "m");
        assertEquals("completed", frames.getLast().get("status").asText());
        assertEquals("w1 w2 w3 w4 w5 w6 w7 w8", frames.getLast().get("message").asText());
        assertFalse(frames.stream().anyMatch(f -> f.get("status").asText().equals("error")), frames.toString());
    }
}
