package io.assistantstream.intake;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.assistantstream.config.QueueType;
import io.assistantstream.config.Settings;

/**
 * How the service meets RabbitMQ: its connections, and the seed's topology: direct exchange and durable queue bound with the routing key; the
 * dead-letter exchange {@code {exchange}_dlx} and queue {@code {queue}_failed}. The queue keeps the
 * seed's arguments by default, because declaring an existing queue with other arguments fails. A
 * quorum queue ({@code QUEUE_TYPE=quorum}) leaves out {@code x-max-priority}, which quorum queues
 * refuse, and bounds redeliveries with {@code x-delivery-limit}; its dead-letter queue is a quorum
 * queue too, so what it holds survives a broker's loss as well.
 */
final class Topology {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Topology.class.getName());
    private Topology() {
    }

    /**
     * Connections to {@code RABBITMQ_URL} (open them with {@link #connect}), recovering by themselves,
     * their threads virtual.
     */
    static ConnectionFactory connectionFactory(Settings.Rabbit rabbit) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(rabbit.url());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("RABBITMQ_URL is not usable: " + e.getMessage(), e);
        }
        if (factory.getVirtualHost().isEmpty()) {
            factory.setVirtualHost("/"); // the seed's "amqp://…:5672/" means the default vhost, as in pika
        }
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(1_000);
        factory.setRequestedHeartbeat(30);
        factory.setThreadFactory(Thread.ofVirtual().name("amqp-", 0).factory());
        return factory;
    }

    /**
     * A connection to the first of {@code RABBITMQ_URL}'s brokers that answers, in their order.
     *
     * @param dispatch where deliveries to its consumers run (null: amqp-client's own threads)
     */
    static Connection connect(ConnectionFactory factory, Settings.Rabbit rabbit, ExecutorService dispatch,
                              String name) throws IOException, TimeoutException {
        return factory.newConnection(dispatch, new BrokerAddresses(rabbit.urls()), name);
    }

    static void declare(Channel channel, Settings.Rabbit rabbit) throws IOException {
        channel.exchangeDeclare(rabbit.exchange(), "direct", true);
        channel.exchangeDeclare(rabbit.deadLetterExchange(), "direct", true);
        channel.queueDeclare(rabbit.deadLetterQueue(), true, false, false,
                rabbit.queueType() == QueueType.QUORUM ? Map.of("x-queue-type", "quorum") : null);
        channel.queueBind(rabbit.deadLetterQueue(), rabbit.deadLetterExchange(), rabbit.routingKey());
        channel.queueDeclare(rabbit.queue(), true, false, false, queueArguments(rabbit));
        channel.queueBind(rabbit.queue(), rabbit.exchange(), rabbit.routingKey());
    }

    /** 0 for the priority or the TTL leaves that argument out; a quorum queue has no priority. */
    static Map<String, Object> queueArguments(Settings.Rabbit rabbit) {
        Map<String, Object> arguments = new HashMap<>();
        if (rabbit.queueType() == QueueType.QUORUM) {
            arguments.put("x-queue-type", "quorum");
            arguments.put("x-delivery-limit", rabbit.deliveryLimit());
            if (rabbit.maxPriority() > 0) {
                LOG.info(() -> "QUEUE_TYPE=quorum: the queue has no x-max-priority (QUEUE_MAX_PRIORITY "
                        + rabbit.maxPriority() + "), which quorum queues refuse; messages' priorities are ignored");
            }
        } else if (rabbit.maxPriority() > 0) {
            arguments.put("x-max-priority", rabbit.maxPriority());
        }
        if (rabbit.messageTtlMs() > 0) {
            arguments.put("x-message-ttl", rabbit.messageTtlMs());
        }
        arguments.put("x-dead-letter-exchange", rabbit.deadLetterExchange());
        return arguments;
    }
}
