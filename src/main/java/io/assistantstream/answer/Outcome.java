package io.assistantstream.answer;

/**
 * How an answer ended: completed, cancelled, or failed with the reason its error frame gave; the
 * conversation it was given in (null if none was reached), and when its first text came
 * ({@link System#nanoTime()}, 0 if none did).
 */
public record Outcome(boolean completed, String failure, String conversationId, long firstTextNanos,
                      boolean cancelled) {
    public Outcome(boolean completed, String failure, String conversationId, long firstTextNanos) {
        this(completed, failure, conversationId, firstTextNanos, false);
    }

    /** Stopped by a cancel; its {@code cancelled} frame was sent. */
    public static Outcome cancelled(String conversationId, long firstTextNanos) {
        return new Outcome(false, null, conversationId, firstTextNanos, true);
    }
}
