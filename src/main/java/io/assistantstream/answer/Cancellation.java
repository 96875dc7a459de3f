package io.assistantstream.answer;

/**
 * A cancel of one answer, from outside its thread. {@link #request} marks it; while the answer waits
 * on the model server ({@link #arm armed}), its thread is also interrupted, so a blocking read of
 * the stream, a tool call or a pause between retries ends at once rather than at the next text.
 * Outside that (a Redis call, settling the delivery) no interrupt is sent: the answer sees the mark
 * when it comes back, and ends {@code cancelled}. Once the answer is whole and its backend keeps it
 * (a chat history written), it is {@link #seal sealed}: a cancel then is too late, and the answer
 * completes, so what the model remembers and the frame clients get always agree.
 */
public final class Cancellation {
    private final Thread answering;
    private boolean requested;
    private boolean armed;
    private boolean interrupted;
    private boolean sealed;

    /** For the calling thread, which answers. */
    public Cancellation() {
        this.answering = Thread.currentThread();
    }

    /** An answer nobody can cancel. */
    public static Cancellation none() {
        return new Cancellation();
    }

    /** Asks the answer to stop; never blocks. Once the answer is {@link #seal sealed}, too late: nothing happens. */
    public synchronized void request() {
        if (sealed) {
            return;
        }
        requested = true;
        if (armed && !interrupted) {
            interrupted = true;
            answering.interrupt();
        }
    }

    /** Whether a cancel was asked for. */
    public synchronized boolean requested() {
        return requested;
    }

    /** The answer now waits on the model server: a cancel interrupts it. Call on the answering thread. */
    synchronized void arm() {
        armed = true;
        if (requested && !interrupted) {
            interrupted = true;
            answering.interrupt();
        }
    }

    /**
     * The answer is complete and about to be kept: from now on a cancel changes nothing. Returns
     * false, sealing nothing, when a cancel came first.
     */
    synchronized boolean seal() {
        if (!requested) {
            sealed = true;
        }
        return sealed;
    }

    /** The model server's part is over; an interrupt this sent and nobody took is cleared. */
    synchronized void disarm() {
        armed = false;
        if (interrupted) {
            interrupted = false;
            Thread.interrupted();
        }
    }
}
