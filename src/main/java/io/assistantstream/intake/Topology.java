package io.assistantstream.intake;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.Channel;

import io.assistantstream.config.Settings;

/**
 * The seed's RabbitMQ topology: direct exchange and durable queue bound with the routing key; the
 * dead-letter exchange {@code {exchange}_dlx} and queue {@code {queue}_failed}. The queue keeps the
 * seed's arguments by default, because declaring an existing queue with other arguments fails.
 */
final class Topology {
    private Topology() {
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
