package io.assistantstream;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.Json;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A message that arrives while its channel is answering another: under {@code reject} it ends at
 * once with {@code channel_busy} and the running answer goes on; under {@code interrupt} the running
 * answer is cancelled and the new one answered right after it; a message's own {@code multitask}
 * field overrides the service's policy.
 */
class MultitaskTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    private static JsonNode terminal(List<JsonNode> frames) {
        return frames.getLast();
    }

    @Test
    void under_reject_a_message_for_a_busy_channel_ends_at_once_with_channel_busy_and_the_answer_goes_on()
            throws Exception {
        world.set("multitask.policy", "reject");
        AssistantStream service = world.start();
        String replies = world.rabbit().declareReplyQueue("busy", java.util.Map.of());
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("m");
            world.rabbit().publish("m", "m1", "!words=150 !delay=20");
            client.awaitTexts("m1", 2);
            world.rabbit().publishAskingReply("m", "m2", "me too", replies, "corr-2");
            JsonNode busy = world.rabbit().awaitJson(replies); // at once: m1 is still streaming
            assertEquals("channel_busy", busy.get("error_code").asText(), busy.toString());
            assertEquals(0, world.rabbit().messageCount(world.queue()), "acknowledged, not waiting");
            List<JsonNode> frames = client.answer("m2");
            assertTrue(frames.stream().anyMatch(frame -> "m1".equals(frame.path("message_id").asText())
                    && "completed".equals(frame.path("status").asText())), "the running answer went on to its end");
            assertEquals("channel_busy", terminal(frames).get("error_code").asText());

            // the same message again, as when its acknowledgement was lost: refused again, though the channel is free
            world.rabbit().publishAskingReply("m", "m2", "me too", replies, "corr-2");
            JsonNode again = world.rabbit().awaitJson(replies);
            assertEquals("channel_busy", again.path("error_code").asText(), again.toString());
        }
        assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()), "not dead-lettered");
        assertTrue(world.openAi().requests().stream().noneMatch(request -> request.body().contains("me too")),
                "the model never saw it, the first time nor the second");
    }

    @Test
    void an_answered_message_that_comes_again_while_its_channel_is_busy_keeps_its_answer_and_steers_nothing()
            throws Exception {
        AssistantStream service = world.start();
        String replies = world.rabbit().declareReplyQueue("again", java.util.Map.of());
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("a");
            world.rabbit().publish("a", "m1", "first");
            assertEquals("completed", client.answer("m1").getLast().path("status").asText());
            world.rabbit().publish("a", "m2", "!words=150 !delay=20");
            client.awaitTexts("m2", 2);
            for (String policy : List.of("interrupt", "reject")) { // m1 again, as when its acknowledgement was lost
                world.rabbit().publishAskingReply(Json.object(java.util.Map.of("channel", "a", "message_id", "m1",
                        "message", "first", "multitask", policy)), replies, "m1-" + policy);
            }
            for (int i = 0; i < 2; i++) { // each waited its turn behind m2, and repeated its answer
                JsonNode reply = world.rabbit().awaitJson(replies);
                assertEquals("completed", reply.path("status").asText(), reply.toString());
                assertEquals("Echo: first", reply.path("message").asText());
            }
            List<JsonNode> frames = client.answer("m2");
            assertEquals("completed", terminal(frames).path("status").asText(), "the running answer went on");
        }
    }

    @Test
    void a_message_that_asks_to_interrupt_cancels_the_running_answer_and_is_answered_right_after() throws Exception {
        AssistantStream service = world.start(); // the service's policy: enqueue
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("i");
            world.rabbit().publish("i", "m1", "!words=300 !delay=20");
            client.awaitTexts("m1", 2);
            world.rabbit().publish("{\"channel\":\"i\",\"message_id\":\"m2\",\"message\":\"stop, and answer this\","
                    + "\"multitask\":\"interrupt\"}");
            List<JsonNode> frames = client.answer("m2");
            List<String> ends = frames.stream().filter(frame -> frame.path("final_message").asBoolean())
                    .map(frame -> frame.get("message_id").asText() + " " + frame.get("status").asText()).toList();
            assertEquals(List.of("m1 cancelled", "m2 completed"), ends, "in order: the interrupted one, then the new");
        }
        assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()));
    }
}
