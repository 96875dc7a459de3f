package io.assistantstream;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RabbitMQ past one broker, on the local one: a quorum input queue, and {@code RABBITMQ_URL} listing
 * several brokers, of which the first that answers is used, in order, at start and at every recovery.
 */
class BrokersTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    void messages_are_answered_through_a_quorum_queue() throws Exception {
        world.set("queue.type", "quorum");
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("b");
            assertEquals("Echo: hello q1",
                    world.answer(client, "b", "q1", "hello q1").getLast().path("message").asText());
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        try (Connection connection = factory.newConnection()) { // the channel is closed by the error it gets
            Channel channel = connection.createChannel();
            // the arguments the service gave it, but for its type: the broker says which one differs
            IOException classic = assertThrows(IOException.class, () -> channel.queueDeclare(world.queue(), true,
                    false, false, Map.of("x-dead-letter-exchange", world.exchange() + "_dlx", "x-message-ttl",
                            3_600_000L, "x-delivery-limit", 20)));
            assertTrue(String.valueOf(classic.getCause()).contains("x-queue-type"), "it is a quorum queue: " + classic);
        }
    }

    /**
     * A quorum queue dead-letters a message sent back more than {@code QUEUE_DELIVERY_LIMIT} times; while
     * Redis is down each delivery goes back after a pause that doubles, so an outage of 12 s spends four of
     * a limit of five, where a pause of a second each would have spent them all.
     */
    @Test
    void a_quorum_queue_keeps_a_message_through_a_redis_outage_longer_than_its_delivery_limit_in_seconds()
            throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            world.set("queue.type", "quorum").set("queue.delivery.limit", "5").set("redis.url", redis.url());
            AssistantStream service = world.start();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("b");
                redis.stop();
                world.rabbit().publish("b", "o1", "hello o1");
                Thread.sleep(12_000);
                assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()), "not dead-lettered meanwhile");
                redis.start();
                JsonNode end = client.answer("o1").getLast();
                assertEquals("Echo: hello o1", end.path("message").asText(), end.toString());
            }
        }
    }

    @Test
    void a_dead_broker_listed_first_is_skipped_and_a_lost_one_gives_way_to_the_next_in_order() throws Exception {
        int dead;
        try (ServerSocket closed = new ServerSocket(0)) {
            dead = closed.getLocalPort();
        }
        try (TcpProxy first = new TcpProxy(5672); TcpProxy second = new TcpProxy(5672)) {
            world.set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:" + dead + "/, amqp://guest:guest@127.0.0.1:"
                    + first.port() + "/,amqp://guest:guest@127.0.0.1:" + second.port() + "/");
            AssistantStream service = world.start();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("b");
                assertEquals("Echo: hello a1",
                        world.answer(client, "b", "a1", "hello a1").getLast().path("message").asText());
                assertEquals(0, second.connectionsOpened(), "the next live broker in the list is used, not any");
                first.refuse(true); // that broker is gone: its connections recover to the one after it
                assertEquals("Echo: hello a2",
                        world.answer(client, "b", "a2", "hello a2").getLast().path("message").asText());
                assertTrue(second.connectionsOpened() > 0, "recovered to the third broker of the list");
            }
        }
    }
}
