package io.assistantstream.intake;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;

import io.assistantstream.config.Settings;

/**
 * How the service meets RabbitMQ: its connections, and the seed's topology: direct exchange and durable queue bound with the routing key; the
 * dead-letter exchange {@code {exchange}_dlx} and queue {@code {queue}_failed}. The queue keeps the
 * seed's arguments by default, because declaring an existing queue with other arguments fails.
 */
final class Topology {
    private Topology() {
    }

    /** Connections to {@code RABBITMQ_URL}, recovering by themselves, their threads virtual. */
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

    static void declare(Channel channel, Settings.Rabbit rabbit) throws IOException {
        channel.exchangeDeclare(rabbit.exchange(), "direct", true);
        channel.exchangeDeclare(rabbit.deadLetterExchange(), "direct", true);
        channel.queueDeclare(rabbit.deadLetterQueue(), true, false, false, null);
        channel.queueBind(rabbit.deadLetterQueue(), rabbit.deadLetterExchange(), rabbit.routingKey());
        channel.queueDeclare(rabbit.queue(), true, false, false, queueArguments(rabbit));
        channel.queueBind(rabbit.queue(), rabbit.exchange(), rabbit.routingKey());
    }

    /** 0 for the priority or the TTL leaves that argument out. */
    static Map<String, Object> queueArguments(Settings.Rabbit rabbit) {
        Map<String, Object> arguments = new HashMap<>();
        if (rabbit.maxPriority() > 0) {
            arguments.put("x-max-priority", rabbit.maxPriority());
        }
        if (rabbit.messageTtlMs() > 0) {
            arguments.put("x-message-ttl", rabbit.messageTtlMs());
        }
        arguments.put("x-dead-letter-exchange", rabbit.deadLetterExchange());
        return arguments;
    }
}
