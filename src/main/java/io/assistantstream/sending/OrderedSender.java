package io.assistantstream.sending;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Items sent in order by one thread of their own. Offering never blocks: it queues the item, or
 * refuses it at once when {@code capacity} items are waiting (an item counts until its batch was
 * sent) or the sender is stopped. The thread takes what is queued, up to {@code maxBatch} items at a
 * time, and hands it to the {@link Sink}; with nothing queued it waits, and every {@code idleTick}
 * it lets the sink do its idle work (a keep-alive, a reconnect). Stopping fails every item still
 * queued through {@code failed}, so nobody waits for an item that will never go.
 *
 * <p>The one sender of the frame publisher's Redis calls and of the relay connection: each brings
 * only what sending means for it. A batch may wait a little for more items ({@link #lingering}).
 *
 * @param <T> the items
 */
public final class OrderedSender<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OrderedSender.class.getName());
    /** For a sender with no idle work. */
    public static final Duration NO_IDLE_WORK = Duration.ofDays(365);

    /** What sending means; runs on the sender's thread only. */
    public interface Sink<T> {
        /**
         * Called before a batch is taken, when items wait: may block until the sink can take one (a
         * free place in a pipeline), so that items arriving meanwhile still join the batch.
         */
        default void beforeBatch() throws InterruptedException {
        }

        /** Sends a batch, in order; may block. When it throws, the batch's items fail. */
        void send(List<T> batch) throws InterruptedException;

        /** Called every idle tick while nothing is queued. */
        default void idle() throws InterruptedException {
        }
    }

    private final Queue<T> queue = new ConcurrentLinkedQueue<>();
    private final int capacity;
    private final Semaphore room;
    private final int maxBatch;
    private final long idleTickNanos;
    private final Sink<T> sink;
    private final Consumer<T> failed;
    private final Thread thread;
    private volatile boolean stopping;
    /** Set by {@link #finish}: stop once the queue is empty. */
    private volatile boolean finishing;
    /** Set by {@link #wake}: do the idle work now, not at the next tick. */
    private volatile boolean idleDue;
    /** How long a first item waits for others to join its batch; 0: not at all. */
    private volatile long lingerNanos;
    /** The thread waits for a batch to fill: offers need not wake it. */
    private volatile boolean lingering;
    /** Set by {@link #flush}: send what is queued now, without lingering. */
    private volatile boolean flushDue;

    private OrderedSender(Thread.Builder thread, int capacity, int maxBatch, Duration idleTick, Sink<T> sink,
                          Consumer<T> failed) {
        if (capacity < 1 || maxBatch < 1 || idleTick.isNegative() || idleTick.isZero()) {
            throw new IllegalArgumentException("capacity and batch must be at least 1, the idle tick positive");
        }
        this.capacity = capacity;
        this.room = new Semaphore(capacity);
        this.maxBatch = maxBatch;
        this.idleTickNanos = idleTick.toNanos();
        this.sink = sink;
        this.failed = failed;
        this.thread = thread.start(this::run);
    }

    /** A sender on a virtual thread named {@code name}. */
    public static <T> OrderedSender<T> virtual(String name, int capacity, int maxBatch, Duration idleTick,
                                               Sink<T> sink, Consumer<T> failed) {
        return new OrderedSender<>(Thread.ofVirtual().name(name), capacity, maxBatch, idleTick, sink, failed);
    }

    /**
     * A sender on a platform daemon thread named {@code name}: it does not wait for a carrier behind
     * thousands of runnable virtual threads.
     */
    public static <T> OrderedSender<T> platform(String name, int capacity, int maxBatch, Duration idleTick,
                                                Sink<T> sink, Consumer<T> failed) {
        return new OrderedSender<>(Thread.ofPlatform().name(name).daemon(), capacity, maxBatch, idleTick, sink,
                failed);
    }

    /**
     * Lets a first item wait up to {@code linger} for others to join its batch (unless the batch
     * fills, or {@link #flush} is called): fewer, larger batches, where each batch costs more than its
     * items (a round trip, thread wake-ups). Set before the first offer.
     */
    public OrderedSender<T> lingering(Duration linger) {
        this.lingerNanos = linger.toNanos();
        return this;
    }

    /** Queues {@code item}; false, at once, when {@code capacity} items wait or the sender is stopped. */
    public boolean offer(T item) {
        if (stopping || finishing || !room.tryAcquire()) {
            return false;
        }
        queue.add(item);
        if (stopping) {
            failQueued(); // stopped meanwhile: the thread may be gone
        } else if (!lingering || capacity - room.availablePermits() >= maxBatch) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Sends what is queued without lingering (an item that must not wait is queued). */
    public void flush() {
        flushDue = true;
        LockSupport.unpark(thread);
    }



    /** Items offered and not yet sent: those queued and those of the batch being sent. */
    public int pending() {
        return capacity - room.availablePermits();
    }

    /** Has the sink do its idle work as soon as nothing is being sent (something changed: a connection broke). */
    public void wake() {
        idleDue = true;
        LockSupport.unpark(thread);
    }

    /** Stops after the batch being sent; items still queued fail. Returns at once. */
    public void stop() {
        stopping = true;
        LockSupport.unpark(thread);
    }

    /** Stops, interrupting the batch being sent, and waits up to {@code wait} for the thread to end. */
    public void stopNow(Duration wait) {
        stopping = true;
        thread.interrupt();
        join(wait);
        failQueued();
    }

    /** Sends what is queued, then stops; waits up to {@code wait}. False if not all was sent in time. */
    public boolean finish(Duration wait) {
        finishing = true;
        LockSupport.unpark(thread);
        boolean done = join(wait);
        if (!done) {
            stop();
        }
        return done;
    }

    @Override
    public void close() {
        stop();
    }

    private boolean join(Duration wait) {
        try {
            return thread.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        long lastIdle = System.nanoTime() - idleTickNanos; // the idle work runs at once (a first connection)
        try {
            while (!stopping) {
                if (!queue.isEmpty()) {
                    linger();
                    sink.beforeBatch();
                    List<T> batch = new ArrayList<>();
                    for (T next; batch.size() < maxBatch && (next = queue.poll()) != null; ) {
                        batch.add(next);
                    }
                    send(batch);
                    continue;
                }
                if (finishing) {
                    return;
                }
                long now = System.nanoTime();
                if (idleDue || now - lastIdle >= idleTickNanos) {
                    idleDue = false;
                    lastIdle = now;
                    try {
                        sink.idle();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "Idle work of " + Thread.currentThread().getName() + " failed", e);
                    }
                    continue;
                }
                LockSupport.parkNanos(this, Math.min(idleTickNanos, TimeUnit.SECONDS.toNanos(60)));
                if (Thread.interrupted()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Sender " + Thread.currentThread().getName() + " failed", e);
        } finally {
            stopping = true;
            failQueued();
        }
    }

    /** Waits up to the linger time for the batch to fill, unless flushed or stopped. */
    private void linger() {
        long linger = lingerNanos;
        if (linger <= 0 || flushDue) {
            flushDue = false;
            return;
        }
        long until = System.nanoTime() + linger;
        lingering = true;
        try {
            for (long left = linger; left > 0 && !flushDue && !stopping && !finishing
                    && capacity - room.availablePermits() < maxBatch; left = until - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
        } finally {
            lingering = false;
            flushDue = false;
        }
    }

    /** Sends a batch; when that fails (or is interrupted), its items fail: nobody waits for them. */
    private void send(List<T> batch) throws InterruptedException {
        try {
            sink.send(batch);
        } catch (InterruptedException | RuntimeException | Error e) {
            if (!(e instanceof InterruptedException)) { // the sender must survive anything, or everyone would wait
                LOG.log(Level.FINE, "A batch could not be sent", e);
            }
            batch.forEach(this::fail);
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
        } finally {
            room.release(batch.size());
        }
    }

    private void fail(T item) {
        try {
            failed.accept(item);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "Failing an item failed", e);
        }
    }

    private void failQueued() {
        for (T item; (item = queue.poll()) != null; ) {
            room.release();
            fail(item);
        }
    }
}
