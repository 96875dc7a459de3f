package io.assistantstream.intake;

import java.io.IOException;

import com.rabbitmq.client.AMQP;

/**
 * The broker's side of settling a delivery: what {@link Delivery} calls, once, to end it. The
 * {@link QueueConsumer} does it on RabbitMQ; tests use an in-memory one.
 */
interface Settlement {
    /** The message is done with: the broker forgets it. */
    void ack(long tag);

    /** The message goes back to the queue, to be delivered again. */
    void requeue(long tag);

    /**
     * The message is set aside: a copy with {@code reason} in the {@value Intake#REASON_HEADER}
     * header goes to the dead-letter queue, then the original is acknowledged.
     */
    void deadLetter(long tag, AMQP.BasicProperties properties, byte[] body, String reason);

    /**
     * Publishes {@code json}, the reply to a delivery, to the queue {@code replyTo} (through the default
     * exchange), with {@code correlationId} (none when null), and returns once the broker confirmed it.
     *
     * @throws IOException when the broker refused it, did not confirm it in time, or could not be reached
     * @throws InterruptedException when interrupted while waiting for the broker
     */
    void reply(String replyTo, String correlationId, String json) throws IOException, InterruptedException;
}
