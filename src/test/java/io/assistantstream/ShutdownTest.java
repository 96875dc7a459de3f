package io.assistantstream;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.Launched;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM to a real service process in the middle of an answer: nothing is lost. */
class ShutdownTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();


    private static boolean streaming(JsonNode frame) {
        return frame.path("status").asText().equals("in_progress");
    }

    @Test
    void sigterm_lets_the_answer_in_flight_finish_closes_websockets_with_1001_and_exits_0() throws Exception {
        try (Launched service = Launched.service(world); WsClient client = WsClient.connect(service.port())) {
            client.subscribe("stopping");
            world.rabbit().publish("stopping", "m", "!words=30 !delay=50");
            client.framesUntil(ShutdownTest::streaming);

            service.terminate();
            List<JsonNode> rest = client.answer("m");
            assertEquals("completed", rest.getLast().get("status").asText());
            assertTrue(rest.getLast().get("message").asText().endsWith("w29 w30"), rest.getLast().toString());
            assertEquals(1001, client.awaitClose());
            assertEquals(0, service.awaitExit(Duration.ofSeconds(30)), service.tail());
            assertTrue(service.tail().contains("SIGTERM: stopping"), service.tail());
        }
        assertEquals(0, world.rabbit().messageCount(world.queue()), "acknowledged, not requeued");
        assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()));
    }

    @Test
    void an_answer_that_outlasts_the_grace_goes_back_to_the_queue_and_the_next_instance_answers_it() throws Exception {
        world.set("shutdown.grace.ms", "300");
        try (Launched service = Launched.service(world); WsClient client = WsClient.connect(service.port())) {
            client.subscribe("slow");
            world.rabbit().publish("slow", "m", "!words=100 !delay=100");
            client.framesUntil(ShutdownTest::streaming);

            service.terminate();
            assertEquals(0, service.awaitExit(Duration.ofSeconds(20)), service.tail());
            assertTrue(service.tail().contains("go back to the queue"), service.tail());
        }
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (world.rabbit().messageCount(world.queue()) != 1 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertEquals(1, world.rabbit().messageCount(world.queue()), "requeued, not lost");

        AssistantStream next = world.start();
        try (WsClient client = WsClient.connect(next.port())) {
            client.subscribe("slow");
            JsonNode last = client.answer("m").getLast();
            assertEquals("completed", last.get("status").asText());
            assertTrue(last.get("message").asText().endsWith("w99 w100"), last.toString());
        }
    }
}
