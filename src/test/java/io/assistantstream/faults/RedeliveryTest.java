package io.assistantstream.faults;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.redis.ClassicTopics;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.steering.CancelBoard;
import io.assistantstream.testing.Launched;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RabbitMQ delivers at least once: a message comes again after a crash or a lost acknowledgement. */
class RedeliveryTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();


    private long responsesRequested() {
        return world.openAi().requests().stream().filter(r -> r.path().equals("/v1/responses")).count();
    }

    @Test
    void a_redelivered_message_that_was_answered_gets_its_final_frame_again_and_no_new_answer() throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("again");
            world.rabbit().publish("again", "m1", "hello once");
            JsonNode first = client.answer("m1").getLast();
            assertEquals(1, responsesRequested());

            world.rabbit().publish("again", "m1", "hello once");
            List<JsonNode> repeated = client.answer("m1");
            assertEquals(1, repeated.size(), "only the final frame: " + repeated);
            JsonNode again = repeated.getFirst();
            assertEquals("completed", again.get("status").asText());
            assertEquals(first.get("message"), again.get("message"));
            assertEquals(first.get("thread_id"), again.get("thread_id"));
            assertTrue(again.get("seq").asLong() > first.get("seq").asLong(), "a new seq, in the channel's order");
            assertEquals(1, responsesRequested(), "the model was not called again");

            world.rabbit().publish("again", "m2", "a new message");
            assertEquals("Echo: a new message", client.answer("m2").getLast().get("message").asText());
        }
        assertEquals(0, world.rabbit().messageCount(world.queue()));
    }

    @Test
    void a_message_whose_answer_failed_is_answered_afresh_when_it_comes_again() throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("failing");
            world.rabbit().publish("failing", "m1", "!failed");
            assertEquals("error", client.answer("m1").getLast().get("status").asText());
            world.rabbit().awaitDeadLetter();

            // a dead letter replayed once its cause is gone: a failure is not recorded as an answer
            world.rabbit().publish("failing", "m1", "this time it works");
            List<JsonNode> again = client.answer("m1");
            assertEquals("started", again.getFirst().get("status").asText());
            assertEquals("Echo: this time it works", again.getLast().get("message").asText());
            assertEquals(2, responsesRequested());
        }
    }

    @Test
    void a_message_in_flight_when_its_instance_is_killed_is_answered_again_from_the_start() throws Exception {
        try (Launched crashing = Launched.service(world); WsClient client = WsClient.connect(crashing.port())) {
            client.subscribe("crash");
            world.rabbit().publish("crash", "m", "!words=60 !delay=50");
            client.framesUntil(frame -> frame.path("status").asText().equals("in_progress"));
            crashing.kill();
            crashing.awaitExit(TestWorld.timeout());
        }

        AssistantStream restarted = world.start();
        try (WsClient client = WsClient.connect(restarted.port())) {
            client.subscribe("crash");
            List<JsonNode> frames = client.answer("m");
            JsonNode last = frames.getLast();
            assertEquals("completed", last.get("status").asText());
            assertTrue(last.get("message").asText().startsWith("w1 w2 ") && last.get("message").asText()
                    .endsWith("w59 w60"), "answered from the start: " + last);
        }
        assertEquals(0, world.rabbit().messageCount(world.queue()), "nothing lost, nothing left");
        assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()));
    }

    @Test
    void a_message_cancelled_while_its_instance_is_dead_ends_cancelled_when_it_comes_again_without_a_model_call()
            throws Exception {
        try (Launched crashing = Launched.service(world); WsClient client = WsClient.connect(crashing.port())) {
            client.subscribe("dead");
            world.rabbit().publish("dead", "m", "!words=200 !delay=50");
            client.framesUntil(frame -> frame.path("status").asText().equals("in_progress"));
            crashing.kill();
            crashing.awaitExit(TestWorld.timeout());
        }
        int asked = world.openAi().requests().size();
        RedisClient redis = RedisClient.create(world.get("redis.url"));
        try (CancelBoard board = new CancelBoard(RedisConnection.of(redis.connect()), new ClassicTopics(redis.connectPubSub()),
                KeySpace.standalone(world.prefix()),
                Duration.ofMinutes(5), Clock.systemUTC())) {
            assertTrue(board.cancel("dead", "m"), "still in flight: its instance died before settling it");
        } finally {
            redis.shutdown();
        }

        AssistantStream restarted = world.start();
        try (WsClient client = WsClient.connect(restarted.port())) {
            client.subscribe("dead", 0L, null); // all the log holds: the frames of the dead instance, then the end
            List<JsonNode> frames = client.answer("m");
            JsonNode last = frames.getLast();
            assertEquals("cancelled", last.get("status").asText(), frames.toString());
        }
        assertEquals(asked, world.openAi().requests().size(), "the model was not asked again");
        assertEquals(0, world.rabbit().messageCount(world.queue()), "acknowledged");
        assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()));
    }
}
