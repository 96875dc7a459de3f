package io.assistantstream.hub;

/**
 * How many messages one {@code /ws} client may send: {@code perSecond} on average, in bursts of up to
 * {@code burst} (a page that connects subscribes to all its channels at once). A token bucket: each
 * message takes a token, and tokens come back at the rate, up to the burst.
 */
final class ClientMessageRate {
    private static final long SECOND = 1_000_000_000L;

    private final int perSecond;
    private final int burst;
    private double tokens;
    private long last;

    ClientMessageRate(int perSecond, int burst, long nowNanos) {
        this.perSecond = perSecond;
        this.burst = Math.max(1, burst);
        this.tokens = this.burst;
        this.last = nowNanos;
    }

    /** Whether a message at {@code nowNanos} is within the rate (it takes a token if so). */
    synchronized boolean take(long nowNanos) {
        long elapsed = nowNanos - last;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + (double) elapsed * perSecond / SECOND);
            last = nowNanos;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
