package io.assistantstream.hub;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.logging.Logger;

import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsSession;

import io.assistantstream.observe.Meters;

/**
 * The only sender on one WebSocket session: a bounded queue drained by one virtual thread. Offering
 * never blocks, so a slow client cannot hold up an answer or anyone else; a client whose queue is
 * full is closed with 1013 (try again later) and its queue dropped.
 */
final class ClientWriter {
    private static final Logger LOG = Logger.getLogger(ClientWriter.class.getName());
    private static final String POISON = new String("stop");
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final WsSession session;
    private final BlockingQueue<String> queue;
    private final Thread drainer;
    private volatile boolean open = true;

    ClientWriter(WsSession session, int capacity) {
        this.session = session;
        this.queue = new ArrayBlockingQueue<>(capacity + 1);
        this.drainer = Thread.ofVirtual().name("ws-writer").start(this::drain);
    }

    /** Queues a text frame; returns false (and drops the client) when the client is too far behind. */
    boolean offer(String text) {
        if (!open) {
            return false;
        }
        if (queue.remainingCapacity() > 1 && queue.offer(text)) {
            return true;
        }
        open = false;
        Meters.WEBSOCKET_SLOW_CLIENT_DROPS.increment();
        LOG.warning("Dropping a WebSocket client that fell " + queue.size() + " frames behind");
        queue.clear();
        Thread.ofVirtual().start(() -> closeQuietly(WsCloseCodes.TRY_AGAIN_LATER, "too slow: frames were not read"));
        return false;
    }

    /**
     * Sends what is queued (the last frames of the answers that finished), then closes the session
     * with 1001 (going away): the service is stopping. Returns once closed.
     */
    void goAway() {
        open = false;
        if (!queue.offer(POISON)) { // full: this client was not reading anyway
            queue.clear();
            queue.offer(POISON);
        }
        try {
            drainer.join(CLOSE_GRACE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(WsCloseCodes.GOING_AWAY, "the service is stopping");
    }

    /** Stops the writer once what is queued is sent (the client went away or is being closed). */
    void stop() {
        open = false;
        queue.clear();
        queue.offer(POISON);
    }

    private void drain() {
        try {
            for (String text; (text = queue.take()) != POISON; ) {
                session.send(text, true);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            open = false; // the socket is gone; onClose/onError of the listener cleans up
        }
    }

    /**
     * Tries a clean close first: a slow client that reads again gets the close frame once its
     * backlog is through. A client that does not read at all never would, so after
     * {@link #CLOSE_GRACE} the socket is cut.
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
        try {
            session.terminate();
        } catch (RuntimeException e) {
            // already closed
        }
        drainer.interrupt();
        closer.interrupt();
    }
}
