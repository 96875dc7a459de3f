package io.assistantstream.answer;

/**
 * How an answer ended: completed, or failed with the reason its error frame gave; the
 * conversation it was given in (null if none was reached), and when its first text came
 * ({@link System#nanoTime()}, 0 if none did).
 */
public record Outcome(boolean completed, String failure, String conversationId, long firstTextNanos) {
}
