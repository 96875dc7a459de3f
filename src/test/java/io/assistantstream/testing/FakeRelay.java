package io.assistantstream.testing;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsRouting;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;

/**
 * A relay for tests of relay mode: a WebSocket server on 127.0.0.1 that speaks the relay's side of
 * the protocol. It records every text message, per connection and in order, and answers each
 * {@code {"type":"subscribe","payload":{"channel":C}}} with {@code {"type":"subscribed","channel":C}}
 * (or what {@link #acknowledgeWith} says). It can be stopped and started again on the same port, as a
 * relay restart.
 *
 * <p>Stopping says goodbye first: every connection is closed with 1001 and the relay reads on until
 * the client's close reply, so a frame the client wrote before it learned of the stop is recorded,
 * never cut off in a socket buffer. While stopping, a new connection is closed at once and no
 * subscribe is acknowledged, so no frame can be sent on it.
 */
public final class FakeRelay implements AutoCloseable {
    private static final Duration GOODBYE_WAIT = Duration.ofSeconds(5);

    /** One text message as received, and parsed. */
    private record Received(String text, JsonNode json) {
    }

    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final AtomicBoolean hangUpMidMessage = new AtomicBoolean();
    private final int port;
    private volatile Function<String, String> acknowledgement = FakeRelay::subscribed;
    private final AtomicInteger pings = new AtomicInteger();
    private final Duration idleTimeout;
    private volatile boolean stopping;
    private WebServer server;

    private FakeRelay(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
        server = listen(0);
        port = server.port();
    }

    /** Listens on a free port of 127.0.0.1. */
    public static FakeRelay start() {
        return new FakeRelay(Duration.ofMinutes(5));
    }

    /**
     * Listens on a free port of 127.0.0.1 and, as a relay behind a proxy or a server with a short
     * idle timeout would, closes a connection on which the client sent nothing for {@code idleTimeout}.
     */
    public static FakeRelay start(Duration idleTimeout) {
        return new FakeRelay(idleTimeout);
    }

    /** Pings received so far, on all connections (each answered with a pong, as every relay does). */
    public int pings() {
        return pings.get();
    }

    public URI url() {
        return URI.create("ws://127.0.0.1:" + port + "/relay");
    }

    /** Closes every connection (after their goodbye, see the class comment) and stops listening. */
    public synchronized void stop() throws InterruptedException {
        if (server == null) {
            return;
        }
        stopping = true;
        closeConnections();
        server.stop();
        server = null;
    }

    /** Stops (when running), then listens again on the same port. */
    public synchronized void restart() throws InterruptedException {
        stop();
        stopping = false;
        server = listen(port);
    }

    /**
     * Closes every open connection with 1001 and waits until each has read its last message (the
     * client's close reply, or the end of the stream when the client just hung up); keeps listening.
     * Helidon reads each connection on a thread of its own, which ends with the connection; it tells
     * the listener nothing when a client hangs up without a close message, so the thread is what is
     * waited for.
     */
    public void closeConnections() throws InterruptedException {
        connections.forEach(Connection::goodbye);
        long until = System.nanoTime() + GOODBYE_WAIT.toNanos();
        for (Connection connection : connections) {
            if (!connection.reader.join(Duration.ofNanos(Math.max(1, until - System.nanoTime())))) {
                throw new AssertionError("a relay connection was still open " + GOODBYE_WAIT + " after its close");
            }
        }
    }

    /** What a subscribe of channel C is answered with; a null answer withholds the acknowledgement. */
    public void acknowledgeWith(Function<String, String> acknowledgement) {
        this.acknowledgement = acknowledgement;
    }

    /**
     * Cuts off the next message that arrives in parts (the JDK client sends a long one in parts)
     * after its first part: the relay hangs up without reading the rest, as a relay crashing
     * mid-message would, so the client's write of it fails.
     */
    public void hangUpMidMessage() {
        hangUpMidMessage.set(true);
    }

    /** Acknowledges no subscribe (true), or acknowledges them the standard way again (false). */
    public void withholdAcks(boolean withhold) {
        acknowledgeWith(withhold ? channel -> null : FakeRelay::subscribed);
    }

    /** The standard acknowledgement, as the service's own hub sends it. */
    private static String subscribed(String channel) {
        return Json.object(Map.of("type", "subscribed", "channel", channel));
    }

    /** Connections accepted so far, across restarts. */
    public int connections() {
        return connections.size();
    }

    /** Every text message received on the {@code index}-th connection accepted (from 0), in order. */
    public List<String> messages(int index) {
        return connections.get(index).received().stream().map(Received::text).toList();
    }

    /** The code and reason the {@code index}-th connection's client closed it with, or null if it did not. */
    public String closedWith(int index) {
        return connections.get(index).closedWith;
    }

    /** How many subscribes to {@code channel} arrived, on all connections. */
    public long subscribes(String channel) {
        return all().stream()
                .filter(m -> m.path("type").asText().equals("subscribe")
                        && m.path("payload").path("channel").asText().equals(channel))
                .count();
    }

    /** The payloads sent for {@code channel}, connection after connection, each in order of arrival. */
    public List<JsonNode> frames(String channel) {
        return all().stream()
                .filter(m -> m.path("type").asText().equals(channel))
                .map(m -> m.get("payload"))
                .toList();
    }

    /** The payloads for {@code channel} once there are at least {@code count}; fails after {@code timeout}. */
    public List<JsonNode> awaitFrames(String channel, int count, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        List<JsonNode> frames;
        while ((frames = frames(channel)).size() < count) {
            if (System.nanoTime() > until) {
                throw new AssertionError("the relay got " + frames.size() + " of " + count + " frames for "
                        + channel + " within " + timeout);
            }
            Thread.sleep(10);
        }
        return frames;
    }

    private List<JsonNode> all() {
        List<JsonNode> all = new ArrayList<>();
        connections.forEach(connection -> connection.received().forEach(m -> all.add(m.json())));
        return all;
    }

    private WebServer listen(int port) {
        return WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .idleConnectionTimeout(idleTimeout)
                .idleConnectionPeriod(idleTimeout.dividedBy(4))
                .addRouting(WsRouting.builder().endpoint("/relay", Connection::new))
                .build()
                .start();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /** One client connection; its sends and its close are serialised, as Helidon's session wants. */
    private final class Connection implements WsListener {
        private final List<Received> received = new ArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        private WsSession session;
        private Thread reader;
        private volatile String closedWith;

        @Override
        public synchronized void onOpen(WsSession session) {
            this.session = session;
            this.reader = Thread.currentThread();
            connections.add(this);
            if (stopping) {
                goodbye();
            }
        }

        @Override
        public void onMessage(WsSession session, String text, boolean last) {
            if (!last && partial.isEmpty() && hangUpMidMessage.compareAndSet(true, false)) {
                synchronized (this) {
                    session.terminate(); // throws: Helidon drops the connection without reading on
                }
            }
            partial.append(text);
            if (!last) {
                return;
            }
            Received message = new Received(partial.toString(), Json.parse(partial.toString()));
            partial.setLength(0);
            String answer = null;
            if (message.json().path("type").asText().equals("subscribe") && !stopping) {
                answer = acknowledgement.apply(message.json().path("payload").path("channel").asText());
            }
            synchronized (this) {
                received.add(message);
                if (answer != null) {
                    session.send(answer, true);
                }
            }
        }

        @Override
        public synchronized void onPing(WsSession session, BufferData buffer) {
            pings.incrementAndGet();
            session.pong(buffer);
        }

        @Override
        public void onClose(WsSession session, int status, String reason) {
            closedWith = status + " " + reason;
        }

        synchronized List<Received> received() {
            return List.copyOf(received);
        }

        synchronized void goodbye() {
            if (reader.isAlive()) {
                try {
                    session.close(WsCloseCodes.GOING_AWAY, "relay restarting");
                } catch (RuntimeException e) {
                    // the client hung up meanwhile
                }
            }
        }
    }
}
