package io.assistantstream.backend;

import java.time.Duration;

/** The moment by which a whole answer must be done ({@code OPENAI_ANSWER_TIMEOUT_MS}). */
public record Deadline(long nanoTime, Duration budget) {
    public static Deadline in(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos(), budget);
    }

    public long remainingNanos() {
        return nanoTime - System.nanoTime();
    }
}
