package io.assistantstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.intake.Intake;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad input ends in the dead-letter queue with its reason; nothing is lost. */
class IntakeTest {
    private static final AMQP.BasicProperties JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").build();

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final Rabbit rabbit = world.rabbit();
    private AssistantStream service;

    /** A bad delivery, the reason the dead-letter header must give, and whether its channel is readable. */
    private record Bad(String name, byte[] body, AMQP.BasicProperties properties, String reason, boolean framed) {
        Bad(String name, String body, String reason, boolean framed) {
            this(name, body.getBytes(StandardCharsets.UTF_8), JSON, reason, framed);
        }
    }

    /**
     * One delivery of each kind the wiring treats differently: unreadable (no error frame), bytes kept
     * as they came, a readable channel (an error frame), a body near the limit, a hostile body, and
     * the content type. Every rule of the parser is in RequestParserTest.
     */
    private static List<Bad> badInputs() {
        String big = "x".repeat(256 * 1024 + 1);
        List<Bad> bad = new ArrayList<>();
        bad.add(new Bad("not json", "hello", "not valid JSON", false));
        bad.add(new Bad("invalid utf-8", new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, JSON, "not valid UTF-8", false));
        bad.add(new Bad("missing message_id", "{\"channel\":\"bad\",\"message\":\"x\"}", "field 'message_id' is missing", true));
        bad.add(new Bad("huge message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"" + big + "\"}", "more than the 262144 allowed", true));
        bad.add(new Bad("nesting bomb", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"x\",\"extra\":"
                + "[".repeat(5_000) + "]".repeat(5_000) + "}", "nesting depth (1001) exceeds the maximum", true));
        bad.add(new Bad("wrong content type", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"a\"}".getBytes(StandardCharsets.UTF_8),
                new AMQP.BasicProperties.Builder().contentType("application/octet-stream").build(), "content type 'application/octet-stream' is not JSON", false));
        return bad;
    }

    @Test
    void every_bad_input_is_dead_lettered_with_its_reason_and_the_service_still_answers() throws Exception {
        service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("bad");
            client.subscribe("good");
            for (Bad bad : badInputs()) {
                rabbit.publish(bad.body(), bad.properties());
                GetResponse dead = rabbit.awaitDeadLetter();
                assertArrayEquals(bad.body(), dead.getBody(), bad.name() + ": the body is kept as it came");
                String reason = String.valueOf(dead.getProps().getHeaders().get(Intake.REASON_HEADER));
                assertTrue(reason.startsWith("invalid input: ") && reason.contains(bad.reason()),
                        bad.name() + ": " + reason);
                if (bad.framed()) {
                    JsonNode frame = client.next();
                    assertEquals("error", frame.get("status").asText(), bad.name());
                    assertEquals("bad", frame.get("channel").asText());
                    assertTrue(frame.get("error_details").asText().contains(bad.reason()), frame.toString());
                }
            }
            rabbit.publish("good", "g1", "still there?");
            JsonNode last = client.answer("g1").getLast();
            assertEquals("completed", last.get("status").asText());
            assertEquals("Echo: still there?", last.get("message").asText());
            assertEquals("", unexpectedFrameOn(client), "no error frame for unreadable channels");
        }
        assertEquals(0, rabbit.messageCount(world.deadLetterQueue()));
        assertEquals(0, rabbit.messageCount(world.queue()));
    }

    @Test
    void unknown_extra_fields_are_ignored() throws Exception {
        service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("x");
            rabbit.publish("{\"channel\":\"x\",\"message_id\":\"m\",\"message\":\"hi\",\"user\":{\"id\":[1,2]},\"n\":3}");
            assertEquals("completed", client.answer("m").getLast().get("status").asText());
        }
    }

    @Test
    void the_queue_is_declared_with_the_seeds_arguments() throws Exception {
        world.stop(world.start());
        Map<String, Object> seeds = Map.of("x-max-priority", 10, "x-message-ttl", 3_600_000L,
                "x-dead-letter-exchange", world.exchange() + "_dlx");
        try (Connection connection = worldsBroker().newConnection()) {
            try (Channel channel = connection.createChannel()) {
                assertDoesNotThrow(() -> channel.queueDeclarePassive(world.queue()),
                        "the service declared the queue, and it outlives the service");
                // declaring an existing queue again succeeds only with the arguments it has
                assertEquals(world.queue(), channel.queueDeclare(world.queue(), true, false, false, seeds).getQueue());
            }
            for (Map.Entry<String, Object> other : Map.<String, Object>of("x-max-priority", 9, "x-message-ttl",
                    3_599_999L, "x-dead-letter-exchange", world.exchange() + "_other").entrySet()) {
                Map<String, Object> arguments = new HashMap<>(seeds);
                arguments.put(other.getKey(), other.getValue());
                Channel channel = connection.createChannel(); // the refusal closes it
                IOException refused = assertThrows(IOException.class,
                        () -> channel.queueDeclare(world.queue(), true, false, false, arguments), other.toString());
                assertTrue(String.valueOf(refused.getCause()).contains("inequivalent arg '" + other.getKey() + "'"),
                        String.valueOf(refused.getCause()));
            }
            try (Channel channel = connection.createChannel()) {
                channel.queueDeclarePassive(world.deadLetterQueue());
                byte[] body = "rejected".getBytes(StandardCharsets.UTF_8);
                channel.basicPublish(world.exchange() + "_dlx", world.routingKey(), JSON, body);
                assertArrayEquals(body, rabbit.awaitDeadLetter().getBody(),
                        "the dead-letter exchange routes the queue's key to the dead-letter queue");
            }
        }
    }

    /** A client of the broker at the world's {@code rabbitmq.url}, read as the service reads it. */
    private ConnectionFactory worldsBroker() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(world.get("rabbitmq.url"));
        if (factory.getVirtualHost().isEmpty()) {
            factory.setVirtualHost("/"); // "amqp://…:5672/" is the default vhost
        }
        return factory;
    }

    @Test
    void a_message_that_meets_redis_down_goes_back_to_the_queue_and_is_answered_after_recovery() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            world.set("redis.url", redis.url());
            service = world.start();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("r");
                redis.stop();
                rabbit.publish("r", "during-outage", "are you there");
                Thread.sleep(3_000);
                assertNull(rabbit.nextDeadLetter(), "not dead-lettered");
                redis.start();
                JsonNode last = client.answer("during-outage").getLast();
                assertEquals("completed", last.get("status").asText());
                assertEquals("Echo: are you there", last.get("message").asText());
            }
        }
    }

    @Test
    void a_lost_rabbitmq_connection_recovers_by_itself_and_consumes_again() throws Exception {
        try (TcpProxy proxy = new TcpProxy(5672)) {
            world.set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:" + proxy.port() + "/");
            service = world.start();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("q");
                rabbit.publish("q", "before", "one");
                client.answer("before");
                proxy.cutAll();
                rabbit.publish("q", "after", "two");
                JsonNode last = client.answer("after").getLast();
                assertEquals("Echo: two", last.get("message").asText());
            }
        }
    }

    private static String unexpectedFrameOn(WsClient client) throws InterruptedException {
        return client.poll(200).map(JsonNode::toString).orElse("");
    }
}
