package io.assistantstream.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;

/** A producer and inspector for one test's queues on the real RabbitMQ; deletes them on close. */
public final class Rabbit implements AutoCloseable {
    private final TestWorld world;
    private final Connection connection;
    private final Channel channel;
    /** Reply queues this test declared, deleted with the others. */
    private final List<String> replyQueues = new CopyOnWriteArrayList<>();

    Rabbit(TestWorld world) throws IOException, TimeoutException {
        this.world = world;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        this.connection = factory.newConnection("test-producer");
        this.channel = connection.createChannel();
    }

    public void publish(String body) throws IOException {
        publish(body.getBytes(StandardCharsets.UTF_8), new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).build());
    }

    public void publish(byte[] body, AMQP.BasicProperties properties) throws IOException {
        channel.basicPublish(world.exchange(), world.routingKey(), properties, body);
    }

    public void publish(String channelName, String messageId, String message) throws IOException {
        publish(Json.object(Map.of("channel", channelName, "message_id", messageId, "message", message)));
    }

    /** Publishes {@code body} as JSON asking for a reply to {@code replyTo}, with {@code correlationId} (none when null). */
    public void publishAskingReply(String body, String replyTo, String correlationId) throws IOException {
        publish(body.getBytes(StandardCharsets.UTF_8), new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).replyTo(replyTo).correlationId(correlationId)
                .build());
    }

    /** Publishes a chat message asking for a reply to {@code replyTo}, with {@code correlationId} (none when null). */
    public void publishAskingReply(String channelName, String messageId, String message, String replyTo,
                                   String correlationId) throws IOException {
        publishAskingReply(Json.object(Map.of("channel", channelName, "message_id", messageId, "message", message)),
                replyTo, correlationId);
    }

    /** Declares a reply queue of this test's (deleted on close) with {@code arguments}, and returns its name. */
    public String declareReplyQueue(String name, Map<String, Object> arguments) throws IOException {
        String queue = world.queue() + "_replies_" + name;
        channel.queueDeclare(queue, false, false, false, arguments);
        replyQueues.add(queue);
        return queue;
    }

    /** Puts {@code body} straight into {@code queue} (through the default exchange). */
    public void publishTo(String queue, String body) throws IOException {
        channel.basicPublish("", queue, null, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Takes one message off {@code queue}, waiting up to the test timeout. */
    public GetResponse await(String queue) throws IOException, InterruptedException {
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (System.nanoTime() < until) {
            GetResponse response = channel.basicGet(queue, true);
            if (response != null) {
                return response;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing reached " + queue);
    }

    /** Takes one message off {@code queue}, waiting up to the test timeout, and reads its body as JSON. */
    public com.fasterxml.jackson.databind.JsonNode awaitJson(String queue) throws IOException, InterruptedException {
        return Json.parse(new String(await(queue).getBody(), StandardCharsets.UTF_8));
    }

    /** Takes one message off {@code queue}, or null when it is empty. */
    public GetResponse next(String queue) throws IOException {
        return channel.basicGet(queue, true);
    }

    /** Takes one message off the dead-letter queue, waiting up to the test timeout. */
    public GetResponse awaitDeadLetter() throws IOException, InterruptedException {
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (System.nanoTime() < until) {
            GetResponse response = nextDeadLetter();
            if (response != null) {
                return response;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing reached " + world.deadLetterQueue());
    }

    /** Takes one message off the dead-letter queue, or null when it is empty. */
    public GetResponse nextDeadLetter() throws IOException {
        return channel.basicGet(world.deadLetterQueue(), true);
    }

    public long messageCount(String queue) throws IOException {
        return channel.messageCount(queue);
    }

    @Override
    public void close() throws IOException, TimeoutException {
        try {
            for (String queue : replyQueues) {
                channel.queueDelete(queue);
            }
            channel.queueDelete(world.queue());
            channel.queueDelete(world.deadLetterQueue());
            channel.exchangeDelete(world.exchange());
            channel.exchangeDelete(world.exchange() + "_dlx");
        } finally {
            connection.close();
        }
    }
}
