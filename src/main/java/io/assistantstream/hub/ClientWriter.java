package io.assistantstream.hub;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsSession;

import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.observe.Meters;
import io.assistantstream.sending.Liveness;

/**
 * The only sender on one WebSocket session: a writer thread of its own takes from the client's
 * {@link SendQueue}, bounded in bytes ({@code WEBSOCKET_SEND_QUEUE_BYTES}), and writes one item at a
 * time, so what waits can still be merged and the item being written counts no more. Offering never
 * blocks, so a slow client cannot hold up an answer or anyone else. A client that falls behind
 * catches up: its queued {@code in_progress} frames are merged ({@link SendQueue}); only one whose
 * queue cannot take an item even then is closed with 1013 (try again later) and its queue dropped.
 *
 * <p>It also keeps the connection alive: {@link KeepAlive} asks it to ping the client every ping
 * interval, and a client not heard from (a pong, or any message) for two intervals is taken for
 * dead. Pongs are frames the client sends, so they also keep the embedded server's idle-connection
 * check, which counts only what the client sends, from closing a client that only listens.
 */
final class ClientWriter {
    private static final Logger LOG = Logger.getLogger(ClientWriter.class.getName());
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /** Items taken at a time: one, so that what waits behind it can still be merged. */
    private static final int ONE = 1;

    private final WsSession session;
    /** Guards {@link #queue}, {@link #stopping} and {@link #finishing} (the latter two are also read without it). */
    private final ReentrantLock lock = new ReentrantLock();
    private final SendQueue queue;
    /** Takes the client out of the hub (its subscriptions and its count). */
    private final Runnable leave;
    private final Meters meters;
    private final AtomicBoolean pinging = new AtomicBoolean();
    private final Liveness liveness;
    private final Thread writer;
    private volatile boolean open = true;
    /** The writer stops after the item it is writing; nothing more is queued. */
    private volatile boolean stopping;
    /** The writer stops once the queue is empty; nothing more is queued. */
    private volatile boolean finishing;

    ClientWriter(WsSession session, int queueBytes, Duration pingInterval, Runnable leave, Meters meters) {
        this.meters = meters;
        this.liveness = new Liveness(pingInterval);
        this.session = session;
        this.leave = leave;
        this.queue = new SendQueue(queueBytes);
        this.writer = Thread.ofVirtual().name("ws-writer").start(this::write); // last: it reads the fields
    }

    /** Queues a control reply; returns false (and drops the client) when the client is too far behind. */
    boolean offer(String text) {
        return offer(queued -> queued.offer(text));
    }

    /**
     * Queues a frame, to be written in the subscription's format ({@code delta}: the delta format);
     * returns false (and drops the client) when the client is too far behind even with its
     * {@code in_progress} frames merged.
     */
    boolean offer(NumberedFrame frame, boolean delta) {
        return offer(queued -> queued.offer(frame, delta));
    }

    private boolean offer(Predicate<SendQueue> add) {
        if (!open) {
            return false;
        }
        boolean queued;
        long merged;
        long behind;
        lock.lock();
        try {
            if (stopping || finishing) {
                return false; // being closed, not too slow
            }
            long mergedBefore = queue.merged();
            queued = add.test(queue);
            merged = queue.merged() - mergedBefore;
            behind = queue.bytes();
            if (!queued) {
                stopping = true; // only this offer drops the client; any other offer now returns false
            }
        } finally {
            lock.unlock();
        }
        if (merged > 0) {
            meters.websocketFramesCoalesced().increment(merged);
        }
        if (queued) {
            LockSupport.unpark(writer);
            return true;
        }
        open = false;
        meters.websocketSlowClientDrops().increment();
        LOG.warning("Dropping a WebSocket client that fell " + behind
                + " bytes behind even with its in_progress frames merged");
        drop(WsCloseCodes.TRY_AGAIN_LATER, "too slow: frames were not read");
        return false;
    }

    /** The client sent something (a message, a ping or a pong): it is alive. */
    void heard() {
        liveness.heard();
    }

    /**
     * One keep-alive check at {@code now} ({@link System#nanoTime}): pings the client when the last
     * ping is an interval old. Returns false when the client is gone by the rule of {@link Liveness}
     * (a client that reads so slowly that a ping cannot be written goes when its queue cannot take an
     * item even with its frames merged, or with the embedded server's idle-connection timeout). A
     * client already being closed needs nothing.
     */
    boolean keepAlive(long now) {
        if (!open) {
            return true;
        }
        if (liveness.gone(now)) {
            return false;
        }
        if (!pinging.get() && liveness.pingDue(now)) {
            pinging.set(true); // only the keep-alive thread pings; the flag is cleared once the ping is out
            // On its own thread: a ping waits for the send lock, which a write to a full socket holds.
            Thread.ofVirtual().name("ws-ping").start(() -> {
                try {
                    session.ping(BufferData.empty());
                    liveness.pingWritten();
                } catch (RuntimeException e) {
                    gone(); // the socket is gone
                } finally {
                    pinging.set(false);
                }
            });
        }
        return true;
    }

    /**
     * The client stopped answering pings: it leaves the hub at once (no subscription outlives it),
     * and is sent a close frame with 1001 (going away). The socket itself goes with the embedded
     * server's idle-connection timeout: a vanished peer sends nothing, not even its close reply.
     */
    void drop(String reason) {
        drop(WsCloseCodes.GOING_AWAY, reason);
    }

    /**
     * Drops the client: its writer stops, then, on a thread of its own, it leaves the hub (which
     * unsubscribes in Redis: not on the caller's thread, be it the fan-out, a subscribe holding its
     * lock or the keep-alive) and is sent the close frame.
     */
    private void drop(int code, String reason) {
        stop();
        Thread.ofVirtual().name("ws-drop").start(() -> {
            leave.run();
            closeQuietly(code, reason);
        });
    }

    /** Closes a client that never joined the hub (a limit refused it) with {@code code}; nothing was queued. */
    void refuse(int code, String reason) {
        stop();
        Thread.ofVirtual().name("ws-refuse").start(() -> closeQuietly(code, reason));
    }

    /**
     * Sends what is queued (the last frames of the answers that finished), then closes the session
     * with 1001 (going away): the service is stopping. Returns once closed.
     */
    void goAway() {
        open = false;
        boolean behind;
        lock.lock();
        try {
            behind = queue.atBound();
            finishing = true;
        } finally {
            lock.unlock();
        }
        if (behind) { // its queue met its bound since the writer last took from it: this client was not reading
            stop();
        } else {
            LockSupport.unpark(writer);
            if (!join(CLOSE_GRACE)) {
                stop();
            }
        }
        closeQuietly(WsCloseCodes.GOING_AWAY, "the service is stopping");
    }

    /** Stops the writer; what is still queued is dropped (the client went away or is being closed). */
    void stop() {
        open = false;
        lock.lock();
        try {
            stopping = true;
            queue.clear();
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(writer);
    }

    /** The writer thread: writes what is queued, one item at a time, until stopped (or finished). */
    private void write() {
        try {
            while (!stopping) {
                List<String> next;
                lock.lock();
                try {
                    next = queue.take(ONE);
                } finally {
                    lock.unlock();
                }
                if (!next.isEmpty()) {
                    send(next);
                    continue;
                }
                if (finishing) {
                    return;
                }
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    return;
                }
            }
        } catch (RuntimeException e) { // not a send (that is the socket gone): a bug, which must not pass unseen
            LOG.log(Level.WARNING, "The writer of a WebSocket client failed", e);
        } finally {
            stop();
        }
    }

    private void send(List<String> texts) {
        try {
            for (String text : texts) {
                session.send(text, true);
            }
        } catch (RuntimeException e) {
            gone();
            stopping = true;
        }
    }

    /**
     * A send failed: the socket is gone. The client leaves the hub here, since Helidon tells the
     * listener nothing when a peer vanishes without a close frame.
     */
    private void gone() {
        open = false;
        leave.run();
    }

    private boolean join(Duration wait) {
        try {
            return writer.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends a close frame from a thread of its own, which a client that reads no more would block
     * once its socket buffer is full: after {@link #CLOSE_GRACE} that thread is given up on. A
     * client that reads again gets the close frame once its backlog is through, and one that never
     * answers is closed by the embedded server's idle-connection timeout. ({@code WsSession.terminate}
     * cannot help: it only works on the session's own thread.)
     */
    private void closeQuietly(int code, String reason) {
        Thread closer = Thread.ofVirtual().start(() -> {
            try {
                session.close(code, reason);
            } catch (RuntimeException e) {
                // already closed
            }
        });
        try {
            closer.join(CLOSE_GRACE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop();
        writer.interrupt(); // a send stuck on a socket that is not read
        closer.interrupt();
    }
}
