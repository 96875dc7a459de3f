package io.assistantstream.steering;

/** Where a cancel is asked for: {@code /ws} and {@code /admin} hand it on ({@link CancelBoard} in the service). */
@FunctionalInterface
public interface CancelRequests {
    /** Nobody to ask: every cancel finds nothing running (relay mode's hub has none; tests). */
    CancelRequests NONE = (channel, messageId) -> false;

    /**
     * Cancels a message on whichever instance holds it.
     *
     * @return true: it is in flight and is being cancelled; false: it is not (unknown or finished)
     * @throws RuntimeException when Redis cannot be asked
     */
    boolean cancel(String channel, String messageId);
}
