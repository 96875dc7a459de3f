package io.assistantstream.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
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
            channel.queueDelete(world.queue());
            channel.queueDelete(world.deadLetterQueue());
            channel.exchangeDelete(world.exchange());
            channel.exchangeDelete(world.exchange() + "_dlx");
        } finally {
            connection.close();
        }
    }
}
