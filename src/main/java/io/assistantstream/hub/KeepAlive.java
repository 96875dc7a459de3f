package io.assistantstream.hub;

import java.time.Duration;
import java.util.Collection;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.assistantstream.observe.Meters;

/**
 * Pings every client of this instance once per ping interval ({@code WEBSOCKET_PING_SECONDS}) and
 * drops, with 1001, a client gone by the rule of {@link io.assistantstream.sending.Liveness} (no
 * answer for two intervals to a ping it was sent): a peer that vanished without a close (a laptop
 * lid shut, a network gone) no longer holds a writer, a queue and subscriptions until TCP notices.
 * Checks four times an interval.
 */
final class KeepAlive implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KeepAlive.class.getName());

    private final Collection<ClientWriter> clients;
    private final Duration interval;
    private final Thread ticker;
    private final Meters meters;

    KeepAlive(Collection<ClientWriter> clients, Duration interval, Meters meters) {
        this.meters = meters;
        this.clients = clients;
        this.interval = interval;
        this.ticker = Thread.ofVirtual().name("ws-keep-alive").start(this::run);
    }

    private void run() {
        Duration tick = interval.dividedBy(4);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(tick);
                check(System.nanoTime());
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One round over the clients at {@code now} ({@link System#nanoTime}). */
    void check(long now) {
        for (ClientWriter client : clients) {
            try {
                if (!client.keepAlive(now)) {
                    LOG.fine("Dropping a WebSocket client that answered no ping for two intervals");
                    meters.websocketPingTimeouts().increment();
                    client.drop("no pong for two ping intervals");
                }
            } catch (RuntimeException e) { // one client's trouble must not stop the pings of all the others
                LOG.log(Level.WARNING, "Keep-alive check of a WebSocket client failed", e);
            }
        }
    }

    @Override
    public void close() {
        ticker.interrupt();
    }
}
