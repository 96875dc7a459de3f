package io.assistantstream.sending;

import java.time.Duration;

/**
 * Whether a peer that is pinged every interval is still there: the rule that the hub applies to
 * each WebSocket client and the relay connection to its relay. The peer is gone when it has not been
 * heard from (a pong, or anything else) for two intervals while a ping written to it more than an
 * interval ago is still unanswered. A ping that could not even be written (behind a send to a peer
 * that reads slowly) proves nothing. Times are {@link System#nanoTime} values.
 */
public final class Liveness {
    private final long intervalNanos;
    private volatile long heardAt;
    private volatile long pingedAt;
    /** When the first ping not answered yet was written (0: none). */
    private volatile long unansweredSince;

    /** Liveness of a peer pinged every {@code interval}, heard from now. */
    public Liveness(Duration interval) {
        this.intervalNanos = interval.toNanos();
        restart();
    }

    /** Starts afresh, as for a new connection: heard from now, no ping pending. */
    public void restart() {
        heardAt = System.nanoTime();
        pingedAt = heardAt;
        unansweredSince = 0;
    }

    /** The peer sent something: it is there. */
    public void heard() {
        heardAt = System.nanoTime();
        unansweredSince = 0;
    }

    /** Whether a ping is due at {@code now}; if so, it counts as sent now (the caller sends it). */
    public boolean pingDue(long now) {
        if (now - pingedAt < intervalNanos) {
            return false;
        }
        pingedAt = now;
        return true;
    }

    /** A ping was written to the peer. */
    public void pingWritten() {
        if (unansweredSince == 0) {
            unansweredSince = System.nanoTime();
        }
    }

    /** Whether the peer is gone at {@code now}. */
    public boolean gone(long now) {
        long unanswered = unansweredSince;
        return now - heardAt > 2 * intervalNanos && unanswered != 0 && now - unanswered > intervalNanos;
    }

    /** How long the oldest unanswered ping has waited at {@code now}, in milliseconds (0: none). */
    public long unansweredMillis(long now) {
        long unanswered = unansweredSince;
        return unanswered == 0 ? 0 : (now - unanswered) / 1_000_000;
    }
}
