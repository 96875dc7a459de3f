package io.assistantstream.backend;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces the first-event, idle and whole-answer timeouts on streams that are read blocking.
 * One virtual thread checks every open watch a few times a second; when a watch is overdue it
 * interrupts the reading virtual thread, which closes its socket (JDK sockets on virtual threads
 * are interruptible), and the reader learns from {@link Watch#expired()} why the read ended.
 */
public final class StreamWatchdog implements AutoCloseable {
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final Duration tick;
    private final Thread checker;

    public StreamWatchdog(Duration tick) {
        this.tick = tick;
        this.checker = Thread.ofVirtual().name("stream-watchdog").start(this::checkLoop);
    }

    /** Starts watching the calling thread until the first event, the idle gap or the deadline. */
    Watch watch(Duration firstEvent, Duration idle, Deadline deadline) {
        Watch watch = new Watch(Thread.currentThread(), idle, deadline);
        watch.arm(firstEvent, "no first event within " + firstEvent.toMillis() + " ms");
        watches.add(watch);
        return watch;
    }

    @Override
    public void close() {
        checker.interrupt();
    }

    private void checkLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Watch watch : watches) {
                watch.fireIfDue(now);
            }
        }
    }

    /** The timeouts of one stream read by one thread. Close it when the read ends. */
    final class Watch implements AutoCloseable {
        private final Thread reader;
        private final Duration idle;
        private final Deadline deadline;
        private long dueAt;
        private String dueReason;
        private String expired;
        private boolean closed;

        private Watch(Thread reader, Duration idle, Deadline deadline) {
            this.reader = reader;
            this.idle = idle;
            this.deadline = deadline;
        }

        /** An event arrived: the idle timeout starts again. */
        void eventSeen() {
            arm(idle, "no event for " + idle.toMillis() + " ms");
        }

        private synchronized void arm(Duration wait, String reason) {
            long due = System.nanoTime() + wait.toNanos();
            if (due - deadline.nanoTime() > 0) {
                dueAt = deadline.nanoTime();
                dueReason = "the answer took longer than " + deadline.budget().toMillis() + " ms";
            } else {
                dueAt = due;
                dueReason = reason;
            }
        }

        private synchronized void fireIfDue(long now) {
            if (!closed && expired == null && now - dueAt >= 0) {
                expired = dueReason;
                reader.interrupt();
            }
        }

        /** Why the watchdog ended the read, or null if it did not. */
        synchronized String expired() {
            return expired;
        }

        @Override
        public synchronized void close() {
            closed = true;
            watches.remove(this);
            if (expired != null) {
                Thread.interrupted(); // the interrupt was ours; do not leak it to the caller
            }
        }
    }
}
