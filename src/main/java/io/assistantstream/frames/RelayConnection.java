package io.assistantstream.frames;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.assistantstream.sending.Liveness;
import io.assistantstream.sending.OrderedSender;

/**
 * The service's one persistent WebSocket connection to an external relay (relay mode),
 * speaking the Python predecessor's relay protocol, which users depend on: before the first frame
 * of a channel, {@code {"type":"subscribe","payload":{"channel":C}}} and a wait for the relay's
 * {@code {"type":"subscribed",…}}; then each frame of the channel as one text message
 * {@code {"type":C,"payload":FRAME}}.
 *
 * <p>Callers only queue a frame, so {@link #send} never blocks (it runs on answer threads and on
 * lettuce I/O threads alike). One sender thread (an {@link OrderedSender}) drains the bounded buffer
 * in order over the one connection, and while idle keeps it alive or gets it back. Channels are subscribed lazily, once per connection, and the channels subscribed on
 * the current connection are kept as an LRU of {@value #SUBSCRIBED_CHANNELS}: memory does not grow
 * with every channel ever seen, and a channel forgotten is simply subscribed again.
 *
 * <p>A write that fails, the relay closing or failing the connection, a subscribe left
 * unacknowledged for the ack timeout (5 s), or a write the relay does not take within the write
 * timeout all count as a broken connection: the sender
 * reconnects while frames wait in the buffer, after a pause that starts at 100 ms and doubles with
 * each failed attempt up to {@code maxBackoff} (each drawn at random between half and all of it, so
 * that instances restarted together do not reconnect in step), back to 100 ms once connected. A frame
 * leaves the buffer only once written to the socket, so the frame being written at the break goes
 * again after reconnecting: at-least-once and never reordered; a duplicate carries the same
 * {@code seq}, so clients can drop it. A frame offered while the buffer is full fails at once.
 *
 * <p>The connection is kept alive and watched: the sender pings the relay every ping interval
 * ({@code WEBSOCKET_PING_SECONDS}), so a quiet relay's idle timeout does not close it, and a relay
 * not heard from (a pong, or any message) for two intervals is taken for gone, and the sender
 * reconnects as after any break.
 *
 * <p>Built on the JDK's WebSocket client, so the runtime image needs the {@code java.net.http}
 * module: Helidon's {@code helidon-webclient-websocket} is published only up to 4.2.0, and the
 * 4.2 client on the 4.5 stack would be a mixed set whose session has no send lock.
 */
public final class RelayConnection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RelayConnection.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int SUBSCRIBED_CHANNELS = 4096;
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** A write not done by then means the relay stopped reading. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /**
     * Acks are tiny. The relay may echo our own frames back (we subscribed to their channels), so a
     * message longer than this, or without the word {@code "subscribed"}, is skipped unparsed.
     */
    private static final int MAX_ACK_CHARS = 16 * 1024;

    /** One frame waiting in the buffer, its envelope built on the caller's thread. */
    private record Outgoing(String channel, String envelope, CompletableFuture<Void> sent) {
    }

    private final URI url;
    /** The URL without user info or query, which may hold credentials: what the log shows. */
    private final String where;
    private final int bufferFrames;
    private final long maxBackoffMillis;
    private final Duration ackTimeout;
    private final Duration pingInterval;
    private final HttpClient http;
    /** The buffer and its thread; a frame holds its place until it is written or failed. */
    private final OrderedSender<Outgoing> sender;
    private volatile boolean closed;
    /** The connection now, or null while there is none; only the sender's thread uses it (and close, after it). */
    private volatile Link link;
    /** The next pause before a reconnection attempt; only the sender's thread uses it. */
    private long backoff = FIRST_BACKOFF.toMillis();
    /** Whether the relay is known to be away (its loss was logged); only the sender's thread uses it. */
    private boolean away;

    /**
     * Starts connecting in the background; a relay that is down only makes frames wait. The relay is
     * pinged every {@code pingInterval}.
     */
    public RelayConnection(URI url, int bufferFrames, Duration maxBackoff, Duration pingInterval) {
        this(url, bufferFrames, maxBackoff, ACK_TIMEOUT, pingInterval);
    }

    RelayConnection(URI url, int bufferFrames, Duration maxBackoff, Duration ackTimeout, Duration pingInterval) {
        if (!"ws".equalsIgnoreCase(url.getScheme()) && !"wss".equalsIgnoreCase(url.getScheme())) {
            throw new IllegalArgumentException("the relay URL must be ws:// or wss://");
        }
        if (bufferFrames < 1) {
            throw new IllegalArgumentException("the relay buffer must hold at least one frame");
        }
        this.url = url;
        this.where = url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + url.getRawPath();
        this.bufferFrames = bufferFrames;
        this.maxBackoffMillis = Math.max(FIRST_BACKOFF.toMillis(), maxBackoff.toMillis());
        this.ackTimeout = ackTimeout;
        this.pingInterval = pingInterval;
        this.http = HttpClient.newHttpClient();
        this.sender = OrderedSender.virtual("relay-sender", bufferFrames, 1, pingInterval.dividedBy(4),
                new OrderedSender.Sink<>() {
                    @Override
                    public void send(List<Outgoing> batch) throws InterruptedException {
                        deliver(batch.getFirst());
                    }

                    @Override
                    public void idle() throws InterruptedException {
                        keepUp();
                    }
                }, frame -> frame.sent().completeExceptionally(
                        new RelayUnavailableException("the relay connection is closed")));
    }

    /**
     * Queues one frame of {@code channel} (complete JSON). Completes once written to the relay's
     * socket; completes exceptionally at once with {@link RelayUnavailableException} when the buffer
     * already holds {@code bufferFrames} frames, or when the connection is closed. Frames go out in
     * the order send was called.
     */
    public CompletionStage<Void> send(String channel, String frameJson) {
        if (closed) {
            return CompletableFuture.failedFuture(new RelayUnavailableException("the relay connection is closed"));
        }
        Outgoing frame = new Outgoing(channel, envelope(channel, frameJson), new CompletableFuture<>());
        if (!sender.offer(frame)) {
            return CompletableFuture.failedFuture(closed
                    ? new RelayUnavailableException("the relay connection is closed")
                    : new RelayUnavailableException("the relay buffer is full: " + bufferFrames + " frames wait for "
                    + where));
        }
        return frame.sent();
    }

    /** Stops; frames still buffered fail with {@link RelayUnavailableException}; the relay gets a goodbye. */
    @Override
    public void close() {
        closed = true;
        sender.stopNow(CLOSE_WAIT.multipliedBy(2));
        Link last = link;
        if (last != null) {
            boolean interrupted = Thread.interrupted(); // the goodbye must not be cut short, nor the flag lost
            try {
                last.hangUp();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        http.shutdownNow();
    }

    /**
     * Writes one frame, connecting (again) as often as it takes, until it is written or the
     * connection is closed. The frame being written when the connection broke goes again on the
     * next one: at-least-once, never reordered.
     */
    private void deliver(Outgoing frame) throws InterruptedException {
        try {
            writeWhenConnected(frame);
        } catch (InterruptedException e) { // closed while waiting for the relay
            frame.sent().completeExceptionally(new RelayUnavailableException("the relay connection is closed"));
            throw e;
        }
    }

    private void writeWhenConnected(Outgoing frame) throws InterruptedException {
        while (!closed) {
            try {
                Link current = connected();
                current.keepAlive();
                current.write(frame);
                frame.sent().complete(null);
                return;
            } catch (IOException e) {
                if (e.getCause() instanceof CharacterCodingException) { // sending it again would fail again
                    frame.sent().completeExceptionally(
                            new IllegalArgumentException("the frame is not valid UTF-16 text", e));
                    link.hangUp(); // a message may have been cut off mid-way: the next one starts afresh
                    link = null;
                    return;
                }
                broke(e);
            } catch (RuntimeException e) { // the sender must survive anything
                broke(e);
            }
        }
        frame.sent().completeExceptionally(new RelayUnavailableException("the relay connection is closed"));
    }

    /** Nothing to send: keeps the connection alive, or tries to get one back. */
    private void keepUp() throws InterruptedException {
        if (closed) {
            return;
        }
        try {
            connected().keepAlive();
        } catch (IOException | RuntimeException e) {
            broke(e);
        }
    }

    /** The connection, opened now when there is none. */
    private Link connected() throws IOException, InterruptedException {
        if (link != null) {
            return link;
        }
        Link opened = new Link();
        try {
            opened.open();
        } catch (IOException | RuntimeException e) {
            opened.hangUp();
            throw e;
        }
        LOG.info(away ? "Relay at " + where + " is back; " + sender.pending() + " frames were waiting"
                : "Connected to the relay at " + where);
        away = false;
        backoff = FIRST_BACKOFF.toMillis();
        link = opened;
        return opened;
    }

    /** The connection broke, or could not be made: drops it, says so once, and pauses before the next attempt. */
    private void broke(Exception e) throws InterruptedException {
        if (link != null) {
            link.hangUp();
            link = null;
        }
        if (closed) {
            return; // the break is the close
        }
        if (away) {
            LOG.fine(() -> "Relay at " + where + " still unavailable: " + e);
        } else {
            away = true;
            LOG.warning("Relay at " + where + " is unavailable (" + e + "); frames wait in the buffer"
                    + " (up to " + bufferFrames + ") while reconnecting");
        }
        Thread.sleep(ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
        backoff = Math.min(2 * backoff, maxBackoffMillis);
    }

    /** {@code {"type":C,"payload":FRAME}}: the frame's text goes in as it is. */
    private static String envelope(String channel, String frameJson) {
        StringBuilder json = new StringBuilder(frameJson.length() + 2 * channel.length() + 24).append("{\"type\":");
        return channelString(json, channel).append(",\"payload\":").append(frameJson).append('}').toString();
    }

    /** Appends {@code channel} as a JSON string. */
    private static StringBuilder channelString(StringBuilder json, String channel) {
        json.append('"');
        JsonText.escape(json, channel);
        return json.append('"');
    }

    /** One WebSocket connection to the relay, and the listener of what the relay sends on it. */
    private final class Link implements WebSocket.Listener {
        /** Channels subscribed on this connection, least recently used first; only the sender uses it. */
        private final Map<String, Boolean> subscribed = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > SUBSCRIBED_CHANNELS;
            }
        };
        /** Subscribes sent and not yet acknowledged, oldest first; guarded by itself. */
        private final Map<String, CompletableFuture<Void>> awaitingAck = new LinkedHashMap<>();
        /** Fails, with the reason, once the relay closed or failed the connection. */
        private final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** The text message being received, in parts; only the listener uses it. */
        private final StringBuilder partial = new StringBuilder();
        private boolean oversized;
        private WebSocket socket;
        /** Whether the relay still answers; its clock starts again once the connection is open. */
        private final Liveness liveness = new Liveness(pingInterval);

        void open() throws IOException, InterruptedException {
            try {
                socket = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT).buildAsync(url, this).get();
                liveness.restart();
            } catch (ExecutionException e) {
                throw broken("connecting", e.getCause());
            }
        }

        /** Writes one frame, subscribing its channel first when this connection has not yet. */
        void write(Outgoing frame) throws IOException, InterruptedException {
            if (ended.isDone()) {
                throw broken("the connection", ended.exceptionNow());
            }
            if (subscribed.get(frame.channel()) == null) {
                subscribe(frame.channel());
            }
            await(socket.sendText(frame.envelope(), true), WRITE_TIMEOUT, "write of a frame");
        }

        /**
         * Pings the relay once an interval has passed since the last ping; a relay gone by the rule
         * of {@link Liveness} (a sender busy with a slow write or an ack pings late, which proves
         * nothing) breaks the connection.
         */
        void keepAlive() throws IOException, InterruptedException {
            if (ended.isDone()) {
                throw broken("the connection", ended.exceptionNow());
            }
            long now = System.nanoTime();
            if (liveness.gone(now)) {
                throw new IOException("the relay answered no ping for " + liveness.unansweredMillis(now) + " ms");
            }
            if (liveness.pingDue(now)) {
                await(socket.sendPing(ByteBuffer.allocate(0)), WRITE_TIMEOUT, "write of a ping");
                liveness.pingWritten();
            }
        }

        /** The relay sent something: it is there. */
        private void heard() {
            liveness.heard();
        }

        private void subscribe(String channel) throws IOException, InterruptedException {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            synchronized (awaitingAck) {
                awaitingAck.put(channel, ack);
            }
            StringBuilder message = new StringBuilder(2 * channel.length() + 48)
                    .append("{\"type\":\"subscribe\",\"payload\":{\"channel\":");
            await(socket.sendText(channelString(message, channel).append("}}").toString(), true), WRITE_TIMEOUT,
                    "write of a subscribe");
            await(ack, ackTimeout, "acknowledgement of a subscribe");
            subscribed.put(channel, Boolean.TRUE);
        }

        /**
         * Waits for one step on this connection; the step failing, the connection ending first, or
         * the timeout mean the connection is broken.
         */
        private void await(CompletableFuture<?> step, Duration timeout, String what)
                throws IOException, InterruptedException {
            try {
                CompletableFuture.anyOf(step, ended).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("no " + what + " within " + timeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                throw broken(what, e.getCause());
            }
        }

        /** Ends the connection: after a break at once, on close with a goodbye first (bounded). */
        void hangUp() {
            if (socket == null) {
                return;
            }
            if (closed && !ended.isDone()) {
                Thread.interrupted(); // the close() that woke the sender must not cut the goodbye short
                try {
                    socket.sendClose(WebSocket.NORMAL_CLOSURE, "assistant-stream is stopping")
                            .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    ended.exceptionally(reason -> null).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException | InterruptedException e) {
                    // the relay answered, or is gone: either way we are done
                }
            }
            socket.abort();
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            heard();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            heard(); // the JDK client answers it with a pong by itself
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            heard();
            oversized |= partial.length() + data.length() > MAX_ACK_CHARS;
            if (!oversized) {
                partial.append(data);
            }
            if (last) {
                received(oversized ? null : partial.toString());
                partial.setLength(0);
                oversized = false;
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            heard();
            if (last) {
                LOG.fine("Ignoring a binary message from the relay");
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            end(new IOException("the relay closed the connection (" + statusCode
                    + (reason.isEmpty() ? "" : " " + reason) + ")"));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            end(error);
        }

        private void end(Throwable reason) {
            ended.completeExceptionally(reason);
            sender.wake(); // noticed at once, not at the next keep-alive tick
        }

        /**
         * Completes the subscribe an ack is for: the one of the channel the ack names (at top level
         * or in its payload), or, when it names none, the oldest awaiting an ack.
         */
        private void received(String text) {
            JsonNode ack = acknowledgement(text);
            if (ack == null) {
                LOG.fine("Ignoring a relay message that is no subscribe acknowledgement");
                return;
            }
            JsonNode channel = ack.has("channel") ? ack.get("channel") : ack.path("payload").path("channel");
            CompletableFuture<Void> subscribe;
            synchronized (awaitingAck) {
                subscribe = channel.isTextual() ? awaitingAck.remove(channel.asText()) : removeOldest();
            }
            if (subscribe == null) {
                LOG.fine(() -> "Ignoring an acknowledgement no subscribe waits for: " + text);
            } else {
                subscribe.complete(null);
            }
        }

        /** The message as a {@code subscribed} object, or null; null text stands for one too long to be an ack. */
        private static JsonNode acknowledgement(String text) {
            if (text == null || !text.contains("\"subscribed\"")) {
                return null;
            }
            try {
                JsonNode message = JSON.readTree(text);
                return message != null && message.path("type").asText().equals("subscribed") ? message : null;
            } catch (JsonProcessingException e) {
                return null;
            }
        }

        private CompletableFuture<Void> removeOldest() {
            Iterator<CompletableFuture<Void>> oldest = awaitingAck.values().iterator();
            if (!oldest.hasNext()) {
                return null;
            }
            CompletableFuture<Void> ack = oldest.next();
            oldest.remove();
            return ack;
        }
    }

    private static IOException broken(String what, Throwable cause) {
        return cause instanceof IOException io ? io : new IOException(what + " failed: " + cause, cause);
    }
}
