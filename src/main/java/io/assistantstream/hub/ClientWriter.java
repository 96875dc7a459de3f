package io.assistantstream.hub;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsSession;

import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.observe.Meters;
import io.assistantstream.sending.Liveness;
import io.assistantstream.sending.OrderedSender;

/**
 * The only sender on one WebSocket session: an {@link OrderedSender} of its own, bounded to the
 * send queue. Offering never blocks, so a slow client cannot hold up an answer or anyone else; a
 * client whose queue is full is closed with 1013 (try again later) and its queue dropped.
 *
 * <p>It also keeps the connection alive: {@link KeepAlive} asks it to ping the client every ping
 * interval, and a client not heard from (a pong, or any message) for two intervals is taken for
 * dead. Pongs are frames the client sends, so they also keep the embedded server's idle-connection
 * check, which counts only what the client sends, from closing a client that only listens.
 */
final class ClientWriter {
    private static final Logger LOG = Logger.getLogger(ClientWriter.class.getName());
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final WsSession session;
    private final OrderedSender<String> sender;
    private final int capacity;
    /** Takes the client out of the hub (its subscriptions and its count). */
    private final Runnable leave;
    private final Meters meters;
    private final AtomicBoolean pinging = new AtomicBoolean();
    private final Liveness liveness;
    private volatile boolean open = true;

    ClientWriter(WsSession session, int capacity, Duration pingInterval, Runnable leave, Meters meters) {
        this.meters = meters;
        this.liveness = new Liveness(pingInterval);
        this.session = session;
        this.leave = leave;
        this.capacity = capacity;
        // capacity frames may wait while one more is being written
        this.sender = OrderedSender.virtual("ws-writer", capacity + 1, 1, OrderedSender.NO_IDLE_WORK, this::send,
                text -> { });
    }

    /** Queues a text frame; returns false (and drops the client) when the client is too far behind. */
    boolean offer(String text) {
        if (!open) {
            return false;
        }
        if (sender.offer(text)) {
            return true;
        }
        if (!open || sender.stopped()) {
            return false; // being closed meanwhile, not too slow
        }
        open = false;
        meters.websocketSlowClientDrops().increment();
        LOG.warning("Dropping a WebSocket client that fell " + sender.waiting() + " frames behind");
        drop(WsCloseCodes.TRY_AGAIN_LATER, "too slow: frames were not read");
        return false;
    }

    /** Queues a frame in the client's format (temporary until the byte-bounded queue lands). */
    boolean offer(NumberedFrame frame, boolean delta) {
        return offer(frame.json(delta));
    }

    /** The client sent something (a message, a ping or a pong): it is alive. */
    void heard() {
        liveness.heard();
    }

    /**
     * One keep-alive check at {@code now} ({@link System#nanoTime}): pings the client when the last
     * ping is an interval old. Returns false when the client is gone by the rule of {@link Liveness}
     * (a client that reads so slowly that a ping cannot be written goes when its queue fills). A
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

    /**
     * Sends what is queued (the last frames of the answers that finished), then closes the session
     * with 1001 (going away): the service is stopping. Returns once closed.
     */
    void goAway() {
        open = false;
        if (sender.waiting() >= capacity) { // full: this client was not reading anyway
            sender.stop();
        } else {
            sender.finish(CLOSE_GRACE);
        }
        closeQuietly(WsCloseCodes.GOING_AWAY, "the service is stopping");
    }

    /** Stops the writer; what is still queued is dropped (the client went away or is being closed). */
    void stop() {
        open = false;
        sender.stop();
    }

    private void send(List<String> texts) {
        try {
            for (String text : texts) {
                session.send(text, true);
            }
        } catch (RuntimeException e) {
            gone();
            sender.stop();
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
        sender.stopNow(Duration.ZERO); // a send stuck on a socket that is not read
        closer.interrupt();
    }
}
