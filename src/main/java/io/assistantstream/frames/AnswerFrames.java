package io.assistantstream.frames;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.RedisException;

/**
 * The frames of one answer, in this order (see docs/ARCHITECTURE.md): {@code started}, {@code processing}
 * while tools run, {@code responding} on the first text, batched {@code in_progress} frames, then
 * {@code completed}, {@code cancelled} or {@code error}. Text is batched the seed's way: an {@code in_progress} frame
 * goes out once {@code batchChars} new characters or {@code batchInterval} have accumulated; the
 * first text goes out at once, and what is pending goes out before {@code completed}, so the
 * deltas always add up to the final message. Not thread-safe: one answer, one thread.
 */
public final class AnswerFrames {
    private static final JsonText STARTED = JsonText.of("Assistant is processing your request...");
    private static final JsonText PROCESSING = JsonText.of("Assistant is gathering information...");
    private static final JsonText RESPONDING = JsonText.of("Assistant is responding...");

    private final ChannelTurn turn;
    private final Clock clock;
    private final String channel;
    private final String messageId;
    private final int batchChars;
    private final long batchMillis;
    /** The answer so far, JSON-escaped: every frame's {@code message}. */
    private final StringBuilder escaped = new StringBuilder();
    /** Text not yet in a frame: the next frame's {@code delta}. */
    private final StringBuilder pending = new StringBuilder();
    private String conversationId;
    private long lastSentAt = Long.MIN_VALUE;
    private boolean responding;
    private CompletionStage<Long> last = CompletableFuture.completedFuture(0L);
    private volatile Throwable failed;

    public AnswerFrames(ChannelTurn turn, Clock clock, String channel, String messageId,
                        int batchChars, Duration batchInterval) {
        this.turn = turn;
        this.clock = clock;
        this.channel = channel;
        this.messageId = messageId;
        this.batchChars = batchChars;
        this.batchMillis = batchInterval.toMillis();
    }

    public void conversationId(String conversationId) {
        this.conversationId = conversationId;
    }

    public void started() {
        send(Status.STARTED, STARTED, null, null);
    }

    /** Sends {@code processing}; false once a frame of the answer failed (see {@link #text}). */
    public boolean processing() {
        send(Status.PROCESSING, PROCESSING, null, null);
        return failed == null;
    }

    /**
     * Sends {@code processing} whose message says what the model server is doing ("Searching the
     * web"); false once a frame of the answer failed (see {@link #text}).
     */
    public boolean processing(String activity) {
        send(Status.PROCESSING, JsonText.of(activity), null, null);
        return failed == null;
    }

    /**
     * Adds streamed text; sends {@code responding} first, then an {@code in_progress} frame when a
     * batch is full. Returns false once a frame of this answer could not be published: the rest
     * would reach no one, so nothing more is sent, and {@link #completed} or {@link #error} throws.
     */
    public boolean text(String delta) {
        if (delta.isEmpty()) {
            return failed == null;
        }
        if (!responding) {
            responding = true;
            send(Status.RESPONDING, RESPONDING, null, null);
        }
        pending.append(delta);
        long now = clock.millis();
        if (lastSentAt == Long.MIN_VALUE || pending.length() >= batchChars
                || now - lastSentAt >= batchMillis) {
            flush(now);
        }
        return failed == null;
    }

    /** Whether any answer text has been streamed to clients: after that a retry would repeat it. */
    public boolean textSent() {
        return !escaped.isEmpty();
    }

    /** Sends {@code completed} and waits until every frame of the answer is out. */
    public void completed() {
        flush(clock.millis());
        send(Status.COMPLETED, soFar(), null, null);
        awaitSent();
    }

    /**
     * Sends {@code cancelled}, whose message is the text so far (what is pending goes out before
     * it), and waits until every frame of the answer is out.
     */
    public void cancelled() {
        flush(clock.millis());
        send(Status.CANCELLED, soFar(), null, null);
        awaitSent();
    }

    /** Sends {@code error} and waits until every frame of the answer is out. */
    public void error(String message, String details) {
        send(Status.ERROR, JsonText.of(message), null, details);
        awaitSent();
    }

    /**
     * Frames are sent without waiting, so reading the stream never stalls on Redis; the terminal
     * frame waits for all of them, and the delivery is acknowledged only after that.
     *
     * @throws RedisException when a frame could not be published
     * @throws RelayUnavailableException when the relay could not take a frame
     */
    private void awaitSent() {
        try {
            last.toCompletableFuture().join();
        } catch (CompletionException e) {
            failed = e.getCause();
        } catch (CancellationException e) { // lettuce cancels what is in flight when a connection resets
            failed = e;
        }
        if (failed instanceof RelayUnavailableException relay) {
            throw relay;
        } else if (failed != null) {
            throw failed instanceof RedisException redis ? redis
                    : new RedisException("a frame could not be published: " + failed, failed);
        }
    }

    private void flush(long now) {
        if (pending.isEmpty()) {
            return;
        }
        String delta = pending.toString();
        pending.setLength(0);
        JsonText.escape(escaped, delta);
        lastSentAt = now;
        send(Status.IN_PROGRESS, soFar(), delta, null);
    }

    private JsonText soFar() {
        return new JsonText(escaped.toString());
    }

    private void send(Status status, JsonText message, String delta, String details) {
        if (failed != null) {
            return; // an earlier frame failed: nothing more goes into the void, the terminal frame throws
        }
        last = turn.publish(new Frame(channel, messageId, conversationId, status, message, delta, details,
                clock.millis()));
        last.whenComplete((seq, error) -> {
            if (error != null) {
                failed = error;
            }
        });
    }
}
