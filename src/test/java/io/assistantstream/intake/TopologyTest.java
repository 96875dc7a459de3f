package io.assistantstream.intake;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;

import io.assistantstream.config.QueueType;
import io.assistantstream.config.Settings;
import io.assistantstream.steering.MultitaskPolicy;
import io.assistantstream.testing.Readiness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The topology the service declares, on the real RabbitMQ. */
class TopologyTest {
    @Test
    void a_quorum_queue_dead_letters_a_message_delivered_past_its_limit_and_takes_the_predecessors_other_arguments()
            throws Exception {
        String name = "topology_" + UUID.randomUUID();
        Settings.Rabbit rabbit = new Settings.Rabbit(List.of(URI.create("amqp://guest:guest@127.0.0.1:5672/")),
                name + "_exchange", name + "_queue", "key", 10, 3_600_000, 10, 256, 262_144, MultitaskPolicy.ENQUEUE,
                QueueType.QUORUM, 2);
        ConnectionFactory factory = Topology.connectionFactory(rabbit);
        try (Connection connection = Topology.connect(factory, rabbit, null, "topology-test");
             Channel channel = connection.createChannel()) {
            try {
                Topology.declare(channel, rabbit); // with QUEUE_MAX_PRIORITY 10, which a quorum queue would refuse
                channel.basicPublish(rabbit.exchange(), rabbit.routingKey(), null,
                        "poison".getBytes(StandardCharsets.UTF_8));
                for (int delivery = 1; delivery <= 3; delivery++) { // as an instance that dies on it, each time
                    GetResponse got = Readiness.poll(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(20),
                            () -> channel.basicGet(rabbit.queue(), false), response -> response != null);
                    assertNotNull(got, "delivery " + delivery);
                    channel.basicReject(got.getEnvelope().getDeliveryTag(), true);
                }
                GetResponse dead = Readiness.poll(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(20),
                        () -> channel.basicGet(rabbit.deadLetterQueue(), true), response -> response != null);
                assertNotNull(dead, "past x-delivery-limit 2 it went to the dead-letter queue");
                assertEquals("poison", new String(dead.getBody(), StandardCharsets.UTF_8));
                assertEquals(0, channel.messageCount(rabbit.queue()));
            } finally {
                channel.queueDelete(rabbit.queue());
                channel.queueDelete(rabbit.deadLetterQueue());
                channel.exchangeDelete(rabbit.exchange());
                channel.exchangeDelete(rabbit.deadLetterExchange());
            }
        }
    }
}
