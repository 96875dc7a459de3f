package io.assistantstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.Json;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A producer that sets {@code reply_to} gets the message's terminal frame there, correlated, before the
 * message is acknowledged or dead-lettered; a reply that cannot be published sends the message back.
 */
class RepliesTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final Rabbit rabbit = world.rabbit();

    private long responsesRequested() {
        return world.openAi().requests().stream().filter(r -> r.path().equals("/v1/responses")).count();
    }

    private static JsonNode json(GetResponse reply) {
        assertEquals("application/json", reply.getProps().getContentType());
        return Json.parse(new String(reply.getBody(), StandardCharsets.UTF_8));
    }

    /** What one message asking for a reply ended with: its terminal frame, the reply, and the reply queue. */
    private record Replied(JsonNode terminal, GetResponse reply, String queue) {
    }

    /** What a test does with the client while the answer streams. */
    @FunctionalInterface
    private interface Meanwhile {
        void with(WsClient client) throws Exception;
    }

    /**
     * Publishes a message asking for a reply and takes its terminal frame and its reply, which must be
     * that frame exactly, correlated by {@code correlation} (or, with none, the message id).
     */
    private Replied exchange(AssistantStream service, String channel, String message, String correlation,
                             Meanwhile meanwhile) throws Exception {
        String replies = rabbit.declareReplyQueue(channel, Map.of());
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe(channel);
            rabbit.publishAskingReply(channel, "m1", message, replies, correlation);
            meanwhile.with(client);
            JsonNode terminal = client.answer("m1").getLast();
            GetResponse reply = rabbit.await(replies);
            assertEquals(correlation == null ? "m1" : correlation, reply.getProps().getCorrelationId());
            assertEquals(terminal, json(reply), "the terminal frame, exactly as clients got it");
            return new Replied(terminal, reply, replies);
        }
    }

    @Test
    void a_completed_answer_is_replied_with_its_completed_frame_and_the_correlation_id() throws Exception {
        AssistantStream service = world.start();
        long published = metric(service, "assistant_stream_replies_published_total");
        Replied replied = exchange(service, "answered", "hello there", "corr-1", client -> { });
        assertEquals("Echo: hello there", json(replied.reply()).get("message").asText());
        assertEquals(1, metric(service, "assistant_stream_replies_published_total") - published);
        world.stop(service);
        assertEquals(0, rabbit.messageCount(world.queue()), "acknowledged once replied");
        assertNull(rabbit.next(replied.queue()), "one reply");
    }

    @Test
    void a_failed_answer_is_replied_with_its_error_frame_and_dead_lettered() throws Exception {
        Replied replied = exchange(world.start(), "failing", "!failed", "corr-f", client -> { });
        assertEquals("error", replied.terminal().get("status").asText());
        assertTrue(String.valueOf(rabbit.awaitDeadLetter().getProps().getHeaders().get("x-assistant-stream-reason"))
                .startsWith("answer failed"));
    }

    @Test
    void a_cancelled_answer_is_replied_with_its_cancelled_frame() throws Exception {
        Replied replied = exchange(world.start(), "stopped", "!words=400 !delay=20", "corr-c", client -> {
            client.framesUntil(frame -> "in_progress".equals(frame.path("status").asText()));
            client.cancel("stopped", "m1");
        });
        assertEquals("cancelled", replied.terminal().get("status").asText());
    }

    @Test
    void without_a_correlation_id_the_reply_is_correlated_by_the_message_id() throws Exception {
        Replied replied = exchange(world.start(), "plain", "hi", null, client -> { });
        assertEquals("completed", replied.terminal().get("status").asText());
    }

    @Test
    void an_invalid_body_is_replied_with_the_invalid_input_error_frame_before_it_is_dead_lettered() throws Exception {
        AssistantStream service = world.start();
        String replies = rabbit.declareReplyQueue("invalid", Map.of());
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("inv");

            rabbit.publishAskingReply("hello, not JSON", replies, "corr-bad");
            GetResponse unreadable = rabbit.await(replies);
            assertEquals("corr-bad", unreadable.getProps().getCorrelationId());
            JsonNode frame = json(unreadable);
            assertEquals("error", frame.get("status").asText());
            assertTrue(frame.get("final_message").asBoolean());
            assertEquals("Invalid request", frame.get("message").asText());
            assertTrue(frame.get("error_details").asText().contains("not valid JSON"), frame.toString());
            assertTrue(frame.get("channel").isNull() && frame.get("message_id").isNull(), frame.toString());
            assertFalse(frame.has("seq"), "no channel, so no seq: " + frame);
            rabbit.awaitDeadLetter();

            // readable channel and id, empty message: the channel's error frame, less the seq it gets in line
            rabbit.publishAskingReply("{\"channel\":\"inv\",\"message_id\":\"m-inv\",\"message\":\"\"}", replies, null);
            GetResponse readable = rabbit.await(replies);
            assertEquals("m-inv", readable.getProps().getCorrelationId(), "no correlation_id: the body's message_id");
            ObjectNode replied = (ObjectNode) json(readable);
            ObjectNode sent = (ObjectNode) client.answer("m-inv").getLast().deepCopy();
            assertTrue(sent.remove("seq").asLong() > 0);
            sent.remove("timestamp");
            replied.remove("timestamp");
            assertEquals(sent, replied);
            assertEquals("Invalid request", replied.get("message").asText());
            rabbit.awaitDeadLetter();
        }
    }

    @Test
    void a_redelivery_of_an_answered_message_replies_again_with_its_completed_frame_sent_again() throws Exception {
        AssistantStream service = world.start();
        String replies = rabbit.declareReplyQueue("again", Map.of());
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("again");
            rabbit.publishAskingReply("again", "m1", "once", replies, "corr-a");
            JsonNode first = client.answer("m1").getLast();
            assertEquals(first, json(rabbit.await(replies)));

            rabbit.publishAskingReply("again", "m1", "once", replies, "corr-a");
            JsonNode again = client.answer("m1").getLast();
            GetResponse reply = rabbit.await(replies);
            assertEquals("corr-a", reply.getProps().getCorrelationId());
            assertEquals(again, json(reply), "the completed frame as sent again");
            assertTrue(again.get("seq").asLong() > first.get("seq").asLong());
            assertEquals(first.get("message"), again.get("message"));
        }
        assertEquals(1, responsesRequested(), "answered once");
    }

    /**
     * RabbitMQ drops a message routed to no queue, and confirms it all the same: a reply_to naming no
     * queue loses its reply, and the message is acknowledged (sending it back would repeat it forever).
     */
    @Test
    void a_reply_to_a_queue_that_does_not_exist_is_dropped_with_a_warning_and_the_message_is_acknowledged()
            throws Exception {
        AssistantStream service = world.start();
        String nowhere = world.queue() + "_replies_nowhere";
        try (LogWatch log = LogWatch.of("io.assistantstream.intake"); WsClient client = WsClient.connect(service.port())) {
            client.subscribe("lost");
            rabbit.publishAskingReply("lost", "m1", "hi", nowhere, "corr-x");
            assertEquals("completed", client.answer("m1").getLast().get("status").asText());
            assertTrue(log.await("A reply to queue " + nowhere + " could not be routed", TestWorld.timeout()),
                    log.lines().toString());
        }
        world.stop(service);
        assertEquals(0, rabbit.messageCount(world.queue()), "acknowledged, not sent back");
        assertEquals(0, rabbit.messageCount(world.deadLetterQueue()));
    }

    /**
     * A reply queue that refuses publishes (full, overflow reject-publish) makes the broker nack the
     * reply: the message goes back to the queue, unacknowledged, and comes again until its reply is
     * taken; it is answered once (the model called once) and replied once.
     */
    @Test
    void a_reply_the_broker_refuses_sends_the_message_back_and_it_is_replied_once_when_the_queue_takes_it()
            throws Exception {
        AssistantStream service = world.start();
        String replies = rabbit.declareReplyQueue("full", Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
        rabbit.publishTo(replies, "filler");
        long failed = metric(service, "assistant_stream_replies_failed_total");
        long published = metric(service, "assistant_stream_replies_published_total");
        try (LogWatch log = LogWatch.of("io.assistantstream.intake"); WsClient client = WsClient.connect(service.port())) {
            client.subscribe("refused");
            rabbit.publishAskingReply("refused", "m1", "hello", replies, "corr-r");
            JsonNode first = client.answer("m1").getLast();
            assertEquals("completed", first.get("status").asText());
            assertTrue(log.await("Could not reply to queue " + replies, TestWorld.timeout()), log.lines().toString());
            assertEquals(0, rabbit.messageCount(world.deadLetterQueue()));

            assertEquals("filler", new String(rabbit.await(replies).getBody(), StandardCharsets.UTF_8));
            GetResponse reply = rabbit.await(replies);
            assertEquals("corr-r", reply.getProps().getCorrelationId());
            JsonNode replied = json(reply);
            assertEquals("completed", replied.get("status").asText());
            assertEquals(first.get("message"), replied.get("message"));
            assertTrue(replied.get("seq").asLong() > first.get("seq").asLong(), "the completed frame sent again");
            Thread.sleep(1_500); // a second reply would come after the pause a failed reply takes
            assertNull(rabbit.next(replies), "replied once");
        }
        assertTrue(metric(service, "assistant_stream_replies_failed_total") - failed >= 1);
        assertEquals(1, metric(service, "assistant_stream_replies_published_total") - published);
        world.stop(service);
        assertEquals(0, rabbit.messageCount(world.queue()), "acknowledged once replied");
        assertEquals(1, responsesRequested(), "answered once");
    }

    private static long metric(AssistantStream service, String name) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                    + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            List<String> samples = text.lines().filter(line -> line.startsWith(name + " ")
                    || line.startsWith(name + "{")).toList();
            assertFalse(samples.isEmpty(), name + " is not in /observe/metrics");
            return Math.round(samples.stream().mapToDouble(line -> Double.parseDouble(line.substring(
                    line.lastIndexOf(' ') + 1))).sum());
        }
    }

    @Test
    void a_message_without_reply_to_replies_nothing() throws Exception {
        AssistantStream service = world.start();
        long published = metric(service, "assistant_stream_replies_published_total");
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("quiet");
            rabbit.publish("quiet", "m1", "hi");
            client.answer("m1");
        }
        assertEquals(0, metric(service, "assistant_stream_replies_published_total") - published);
        world.stop(service);
        assertEquals(0, rabbit.messageCount(world.queue()), "acknowledged");
    }
}
