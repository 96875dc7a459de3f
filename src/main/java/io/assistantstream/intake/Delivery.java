package io.assistantstream.intake;

import java.util.concurrent.atomic.AtomicBoolean;

import com.rabbitmq.client.AMQP;

/**
 * One message as RabbitMQ delivered it, settled exactly once: {@link #ack}, {@link #requeue} or
 * {@link #deadLetter}. Whichever comes first settles it; any later call is refused (it returns
 * false), so no path can ack a message it also requeued. Settling also tells {@code onSettled}
 * (the intake's count of deliveries in flight), once.
 */
final class Delivery {
    private final long tag;
    private final AMQP.BasicProperties properties;
    private final byte[] body;
    private final long arrivedNanos;
    private final Settlement settlement;
    private final Runnable onSettled;
    private final AtomicBoolean settled = new AtomicBoolean();

    Delivery(long tag, AMQP.BasicProperties properties, byte[] body, long arrivedNanos, Settlement settlement,
             Runnable onSettled) {
        this.tag = tag;
        this.properties = properties;
        this.body = body;
        this.arrivedNanos = arrivedNanos;
        this.settlement = settlement;
        this.onSettled = onSettled;
    }

    byte[] body() {
        return body;
    }

    /** The {@code content-type} property, or null. */
    String contentType() {
        return properties.getContentType();
    }

    /** When it arrived ({@link System#nanoTime}). */
    long arrivedNanos() {
        return arrivedNanos;
    }

    /** Acknowledges it; false if it was settled already. */
    boolean ack() {
        return settle(() -> settlement.ack(tag));
    }

    /** Gives it back to the queue; false if it was settled already. */
    boolean requeue() {
        return settle(() -> settlement.requeue(tag));
    }

    /** Moves it to the dead-letter queue with {@code reason}; false if it was settled already. */
    boolean deadLetter(String reason) {
        return settle(() -> settlement.deadLetter(tag, properties, body, reason));
    }

    /** Whether it was settled. */
    boolean settled() {
        return settled.get();
    }

    private boolean settle(Runnable how) {
        if (!settled.compareAndSet(false, true)) {
            return false;
        }
        try {
            how.run();
        } finally {
            onSettled.run();
        }
        return true;
    }
}
