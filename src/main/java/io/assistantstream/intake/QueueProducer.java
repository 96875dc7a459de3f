package io.assistantstream.intake;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import io.assistantstream.message.ChatRequest;
import io.assistantstream.config.Settings;

/**
 * Publishes chat messages to the input exchange the way an app backend does (persistent JSON,
 * routing key {@code ROUTING_KEY}), for {@code POST /admin/messages} and the command line's test
 * message. Each publish waits for the broker's confirm, so a message said to be queued is queued.
 * A message is first checked by the same rules as the intake's, so what would be dead-lettered is
 * refused here with the same reason.
 */
public final class QueueProducer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CONFIRM_TIMEOUT_MS = 5_000;

    private final Settings.Rabbit rabbit;
    private final RequestParser parser;
    private final Connection connection;
    private final Channel channel;

    /** Connects and declares the topology (so a message published before any service ran is kept). */
    public QueueProducer(Settings.Rabbit rabbit) throws IOException, TimeoutException {
        this.rabbit = rabbit;
        this.parser = new RequestParser(rabbit.maxIdChars(), rabbit.maxMessageBytes());
        this.connection = Topology.connect(Topology.connectionFactory(rabbit), rabbit, null, "assistant-stream-producer");
        try {
            this.channel = connection.createChannel();
            Topology.declare(channel, rabbit);
            channel.confirmSelect();
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw e;
        }
    }

    /**
     * Queues one message.
     *
     * @throws RejectedRequestException when the intake would refuse it (the reason says why)
     */
    public void publish(ChatRequest request)
            throws RejectedRequestException, IOException, InterruptedException, TimeoutException {
        publish(JSON.createObjectNode().put("channel", request.channel()).put("message_id", request.messageId())
                .put("message", request.message()));
    }

    /**
     * Queues one message given as JSON, as it is: a field missing or not a string is refused with the
     * reason the intake would give it.
     *
     * @throws RejectedRequestException when the intake would refuse it (the reason says why)
     */
    public void publish(ObjectNode message)
            throws RejectedRequestException, IOException, InterruptedException, TimeoutException {
        byte[] body = JSON.writeValueAsBytes(message);
        send(body, parser.parse(body, "application/json").messageId());
    }

    /** Queues a cancel of {@code messageId}: whichever instance holds the message stops it. */
    public void cancel(String channel, String messageId)
            throws RejectedRequestException, IOException, InterruptedException, TimeoutException {
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("channel", channel)
                .put("message_id", messageId).put("action", "cancel"));
        send(body, parser.read(body, "application/json").messageId());
    }

    private void send(byte[] body, String messageId) throws IOException, InterruptedException, TimeoutException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding(StandardCharsets.UTF_8.name())
                .deliveryMode(2).messageId(messageId).build();
        synchronized (channel) { // a channel is not for concurrent publishing with confirms
            channel.basicPublish(rabbit.exchange(), rabbit.routingKey(), properties, body);
            channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
        }
    }

    @Override
    public void close() {
        connection.abort();
    }
}
