package io.assistantstream.intake;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.rabbitmq.client.AMQP;

/**
 * One message as RabbitMQ delivered it, settled exactly once: {@link #ack}, {@link #requeue} or
 * {@link #deadLetter}. Whichever comes first settles it; any later call is refused (it returns
 * false), so no path can ack a message it also requeued. Settling also tells {@code onSettled}
 * (the intake's count of deliveries in flight), once.
 *
 * <p>A message whose producer asked for a reply (the {@code reply_to} property) gets one before it is
 * acknowledged or dead-lettered: the terminal frame given to {@link #replyWith}, published to that
 * queue with the message's {@code correlation_id} (or, without one, the {@code message_id} the frame
 * names) and confirmed by the broker. Nothing is acknowledged without its reply: when the reply cannot
 * be published, the message goes back to the queue instead, after a pause, and {@link #ack} or
 * {@link #deadLetter} returns false. A message without {@code reply_to}, or settled with no frame
 * given, replies nothing; a requeue never replies.
 */
final class Delivery {
    private static final Logger LOG = Logger.getLogger(Delivery.class.getName());
    private static final JsonFactory JSON = new JsonFactory();
    /**
     * How long a message whose reply failed waits before going back to the queue, as the intake waits
     * after an outage: a reply queue that refuses every reply does not make its message spin.
     */
    static final Duration REPLY_FAILED_PAUSE = Duration.ofSeconds(1);

    private final long tag;
    private final AMQP.BasicProperties properties;
    private final byte[] body;
    private final long arrivedNanos;
    private final Settlement settlement;
    private final Runnable onSettled;
    private final AtomicBoolean settled = new AtomicBoolean();
    private volatile String reply;

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

    /**
     * How often it was delivered before and went back to the queue, as a quorum queue counts it
     * ({@code x-delivery-count}); 0 for a first delivery, and always for a classic queue.
     */
    long earlierDeliveries() {
        Object count = properties.getHeaders() == null ? null : properties.getHeaders().get("x-delivery-count");
        return count instanceof Number number ? number.longValue() : 0;
    }

    /** When it arrived ({@link System#nanoTime}). */
    long arrivedNanos() {
        return arrivedNanos;
    }

    /**
     * What to reply, if the producer asked for a reply, when the message is acknowledged or
     * dead-lettered: its terminal frame's JSON, as clients got it. A later call replaces an earlier one.
     */
    void replyWith(String terminalFrameJson) {
        reply = terminalFrameJson;
    }

    /**
     * Acknowledges it, once its reply (if any) is published; false if it was settled already, or if
     * the reply could not be published and it went back to the queue instead.
     */
    boolean ack() {
        return settle(() -> settlement.ack(tag), true);
    }

    /** Gives it back to the queue, replying nothing; false if it was settled already. */
    boolean requeue() {
        return settle(() -> settlement.requeue(tag), false);
    }

    /**
     * Moves it to the dead-letter queue with {@code reason}, once its reply (if any) is published;
     * false if it was settled already, or if the reply could not be published and it went back to the
     * queue instead.
     */
    boolean deadLetter(String reason) {
        return settle(() -> settlement.deadLetter(tag, properties, body, reason), true);
    }

    /** Whether it was settled. */
    boolean settled() {
        return settled.get();
    }

    private boolean settle(Runnable how, boolean replyFirst) {
        if (!settled.compareAndSet(false, true)) {
            return false;
        }
        try {
            if (replyFirst && !replied()) {
                requeueAfterPause();
                return false;
            }
            how.run();
        } finally {
            onSettled.run();
        }
        return true;
    }

    /** Publishes the reply, if the producer asked for one and a frame was given; false if that failed. */
    private boolean replied() {
        String replyTo = properties.getReplyTo();
        String frame = reply;
        if (replyTo == null || replyTo.isEmpty() || frame == null) {
            return true;
        }
        try {
            settlement.reply(replyTo, correlationId(frame), frame);
            return true;
        } catch (IOException e) {
            LOG.warning("Could not reply to queue " + replyTo + ": " + QueueConsumer.rootMessage(e)
                    + ". The message goes back to the queue, to be replied to when it comes again");
        } catch (InterruptedException e) {
            LOG.warning("Interrupted while replying to queue " + replyTo + ". The message goes back to the queue");
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /**
     * Back to the queue after {@link #REPLY_FAILED_PAUSE}, or at once when interrupted. The interrupt
     * is held back while the broker is told (an interrupt in socket I/O closes the connection), and set
     * again after.
     */
    private void requeueAfterPause() {
        boolean interrupted = Thread.interrupted();
        if (!interrupted) {
            try {
                Thread.sleep(REPLY_FAILED_PAUSE);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        settlement.requeue(tag);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The delivery's {@code correlation_id}, or else the {@code message_id} its frame names; null if neither. */
    private String correlationId(String frame) {
        String given = properties.getCorrelationId();
        return given != null && !given.isEmpty() ? given : messageIdOf(frame);
    }

    /**
     * The {@code message_id} of a frame's JSON (the body's, when it could be read), or null. Read
     * without parsing the rest: it comes before the answer's text.
     */
    static String messageIdOf(String frameJson) {
        try (JsonParser parser = JSON.createParser(frameJson)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("message_id".equals(field)) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
