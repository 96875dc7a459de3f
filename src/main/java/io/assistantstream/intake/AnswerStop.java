package io.assistantstream.intake;

/**
 * Stops one answer from outside its thread, once: interrupts the thread that answers, so a blocking
 * read of the upstream's stream (or a pause between retries) ends at once, but only while the answer
 * runs. The answer's own thread {@link #end ends} it before it settles the delivery and leaves the
 * channel's line, which must not be interrupted, and clears the interrupt this made if nobody took it.
 */
final class AnswerStop {
    private final Thread answering;
    private boolean running = true;
    private boolean interrupted;

    /** For the calling thread, which answers. */
    AnswerStop() {
        this.answering = Thread.currentThread();
    }

    /** Interrupts the answering thread, unless it ended or was stopped already; false then. Never blocks. */
    synchronized boolean stop() {
        if (!running || interrupted) {
            return false;
        }
        interrupted = true;
        answering.interrupt();
        return true;
    }

    /** Whether {@link #stop} interrupted the answer. */
    synchronized boolean stopped() {
        return interrupted;
    }

    /** The answer is over: no interrupt comes after this. Call on the answering thread. */
    synchronized void end() {
        running = false;
        if (interrupted) {
            Thread.interrupted(); // this stop's, not a caller's: do not leak it into settling and leaving the line
        }
    }
}
