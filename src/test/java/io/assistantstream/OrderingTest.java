package io.assistantstream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One answer at a time per channel, in arrival order; many channels at once. Across instances too. */
class OrderingTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final FakeOpenAi openAi = world.openAi();
    private final Rabbit rabbit = world.rabbit();

    private AssistantStream startService() throws Exception {
        return world.start();
    }

    @Test
    void three_back_to_back_messages_on_one_channel_are_answered_in_order_without_overlap() throws Exception {
        AssistantStream service = startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("seq");
            for (int i = 1; i <= 3; i++) {
                rabbit.publish("seq", "m" + i, "answer " + i + " !words=5 !delay=40");
            }
            List<JsonNode> frames = client.framesUntil(f -> f.path("message_id").asText().equals("m3")
                    && f.path("final_message").asBoolean());
            assertAnswersDoNotInterleave(frames, List.of("m1", "m2", "m3"));
        }
        assertEquals(1, openAi.maxConcurrentResponsesPerConversation());
        assertEquals(0, openAi.conversationLockedCount());
    }

    @Test
    void fifty_channels_in_parallel_finish_in_about_the_time_of_one() throws Exception {
        AssistantStream service = startService();
        String slow = "!words=10 !delay=100"; // about one second per answer
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("solo");
            long soloStart = System.nanoTime();
            rabbit.publish("solo", "solo", slow);
            client.answer("solo");
            long solo = System.nanoTime() - soloStart;

            Set<String> pending = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                client.subscribe("par-" + i);
                pending.add("p" + i);
            }
            long start = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                rabbit.publish("par-" + i, "p" + i, slow);
            }
            while (!pending.isEmpty()) {
                JsonNode frame = client.next();
                if (frame.path("final_message").asBoolean()) {
                    assertEquals("completed", frame.get("status").asText(), frame.toString());
                    pending.remove(frame.get("message_id").asText());
                }
            }
            long parallel = System.nanoTime() - start;
            assertTrue(parallel < solo * 3, "50 in parallel took " + parallel / 1_000_000 + " ms, one took "
                    + solo / 1_000_000 + " ms");
        }
    }

    @Test
    void two_instances_fan_out_to_each_others_clients_and_keep_one_channel_serial() throws Exception {
        world.set("worker.concurrency", "1"); // prefetch 1: each instance must hand the next delivery to the other
        AssistantStream a = startService();
        AssistantStream b = startService();
        try (WsClient onA = WsClient.connect(a.port()); WsClient onB = WsClient.connect(b.port())) {
            onA.subscribe("shared");
            onB.subscribe("shared");
            int messages = 8;
            for (int i = 1; i <= messages; i++) {
                rabbit.publish("shared", "s" + i, "part " + i + " !words=4 !delay=30");
                Thread.sleep(20); // arrivals at distinct instants; order across instances is the order of receipt
            }
            List<String> order = new ArrayList<>();
            for (int i = 1; i <= messages; i++) {
                order.add("s" + i);
            }
            String lastId = "s" + messages;
            List<JsonNode> seenOnA = onA.framesUntil(f -> f.path("message_id").asText().equals(lastId)
                    && f.path("final_message").asBoolean());
            List<JsonNode> seenOnB = onB.framesUntil(f -> f.path("message_id").asText().equals(lastId)
                    && f.path("final_message").asBoolean());
            assertAnswersDoNotInterleave(seenOnA, order);
            assertEquals(seenOnA.stream().map(f -> f.get("seq").asLong()).toList(),
                    seenOnB.stream().map(f -> f.get("seq").asLong()).toList(), "both clients see every frame");
        }
        assertEquals(1, openAi.maxConcurrentResponsesPerConversation(), "never two answers at once on a channel");
        assertEquals(0, openAi.conversationLockedCount());
        // the last answer leaves the line right after its terminal frame went out (and its ack)
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (world.redis().exists(world.prefix() + "lease:shared") != 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(0L, world.redis().exists(world.prefix() + "lease:shared"), "the lease line is empty again");
    }

    /** Each answer's frames form one block, the blocks come in {@code order}, and seq never goes back. */
    private static void assertAnswersDoNotInterleave(List<JsonNode> frames, List<String> order) {
        List<String> blocks = new ArrayList<>();
        Map<String, String> lastStatus = new HashMap<>();
        long seq = 0;
        for (JsonNode frame : frames) {
            String id = frame.get("message_id").asText();
            if (blocks.isEmpty() || !blocks.getLast().equals(id)) {
                blocks.add(id);
            }
            assertTrue(frame.get("seq").asLong() > seq, "seq increases: " + frame);
            seq = frame.get("seq").asLong();
            lastStatus.put(id, frame.get("status").asText());
        }
        assertEquals(order, blocks, "answers one after another, in arrival order");
        order.forEach(id -> assertEquals("completed", lastStatus.get(id)));
    }
}
