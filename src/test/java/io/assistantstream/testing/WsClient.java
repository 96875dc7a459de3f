package io.assistantstream.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

/** A browser-like client of {@code /ws} built on the JDK's WebSocket client; collects every text message. */
public final class WsClient implements AutoCloseable {
    private final LinkedBlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final LinkedBlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    private final WebSocket socket;
    private final boolean reading;

    private WsClient(int port, String query, boolean reading) throws Exception {
        this.reading = reading;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws" + (query.isEmpty() ? "" : "?" + query)),
                        new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public void onOpen(WebSocket webSocket) {
                        if (reading) {
                            webSocket.request(1);
                        }
                    }

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            inbox.add(Json.parse(partial.toString()));
                            partial.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onPong(WebSocket webSocket, java.nio.ByteBuffer message) {
                        pongs.add(java.nio.charset.StandardCharsets.UTF_8.decode(message).toString());
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket webSocket, Throwable error) {
                        closed.complete(-1);
                    }
                }).get(5, TimeUnit.SECONDS);
    }

    public static WsClient connect(int port) throws Exception {
        return new WsClient(port, "", true);
    }

    /** A client whose handshake URL carries {@code query} (e.g. {@code token=…}). */
    public static WsClient connect(int port, String query) throws Exception {
        return new WsClient(port, query, true);
    }

    /** A client that never reads what the server sends. */
    public static WsClient connectNotReading(int port) throws Exception {
        return new WsClient(port, "", false);
    }

    /** A client made with {@link #connectNotReading} starts reading everything. */
    public void resumeReading() {
        if (!reading) {
            socket.request(Long.MAX_VALUE);
        }
    }

    public void send(String text) throws Exception {
        socket.sendText(text, true).get(5, TimeUnit.SECONDS);
    }

    public void sendBinary(byte[] data) throws Exception {
        socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).get(5, TimeUnit.SECONDS);
    }

    /** Pings the server with {@code payload}; returns the payload of the pong, or null if none came in time. */
    public String ping(String payload) throws Exception {
        socket.sendPing(java.nio.ByteBuffer.wrap(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .get(5, TimeUnit.SECONDS);
        return pongs.poll(5, TimeUnit.SECONDS);
    }

    /** Subscribes with the seed's form and waits for the acknowledgement. */
    public void subscribe(String channel) throws Exception {
        subscribe(channel, null, null);
    }

    /**
     * Subscribes with the seed's form, resuming after {@code since} (null: live frames only; 0: all the
     * frame log holds) in {@code format} ({@code "delta"}, {@code "whole"}, or null for the default), and
     * waits for the acknowledgement, which must be the next message; returns it (its {@code recovered}
     * says whether the log reached back to {@code since}).
     */
    public JsonNode subscribe(String channel, Long since, String format) throws Exception {
        send(subscribeCommand(channel, since, format));
        JsonNode reply = next();
        if (!"subscribed".equals(reply.path("type").asText()) || !channel.equals(reply.path("channel").asText())) {
            throw new AssertionError("expected subscribed to " + channel + ", got " + reply);
        }
        return reply;
    }

    /** The seed's subscribe command, with {@code since} and {@code format} when given. */
    /** Asks the service to cancel {@code messageId} of {@code channel}. */
    public void cancel(String channel, String messageId) throws Exception {
        send(Json.object(java.util.Map.of("action", "cancel", "channel", channel, "message_id", messageId)));
    }

    /** Reads until {@code count} {@code in_progress} frames of {@code messageId} came: its answer is under way. */
    public void awaitTexts(String messageId, int count) throws InterruptedException {
        int seen = 0;
        while (seen < count) {
            JsonNode frame = next();
            if (messageId.equals(frame.path("message_id").asText()) && "in_progress".equals(frame.path("status").asText())) {
                seen++;
            }
        }
    }

    public static String subscribeCommand(String channel, Long since, String format) {
        java.util.Map<String, Object> command = new java.util.LinkedHashMap<>();
        command.put("action", "subscribe");
        command.put("channel", channel);
        if (since != null) {
            command.put("since", since);
        }
        if (format != null) {
            command.put("format", format);
        }
        return Json.object(command);
    }

    /** The next message, waiting up to the test timeout. */
    public JsonNode next() throws InterruptedException {
        JsonNode message = inbox.poll(TestWorld.timeout().toMillis(), TimeUnit.MILLISECONDS);
        if (message == null) {
            throw new AssertionError("no WebSocket message within " + TestWorld.timeout());
        }
        return message;
    }

    /** The next message if one comes within {@code millis}. */
    public java.util.Optional<JsonNode> poll(long millis) throws InterruptedException {
        return java.util.Optional.ofNullable(inbox.poll(millis, TimeUnit.MILLISECONDS));
    }

    /** Every frame up to and including the first one that matches {@code last}. */
    public List<JsonNode> framesUntil(Predicate<JsonNode> last) throws InterruptedException {
        List<JsonNode> frames = new ArrayList<>();
        JsonNode frame;
        do {
            frame = next();
            frames.add(frame);
        } while (!last.test(frame));
        return frames;
    }

    /** Every frame of the answer to {@code messageId}, up to its terminal frame; other frames are kept too. */
    public List<JsonNode> answer(String messageId) throws InterruptedException {
        return framesUntil(f -> messageId.equals(f.path("message_id").asText()) && f.path("final_message").asBoolean());
    }

    /** Whether the connection has closed (the server dropped it, or it failed). */
    public boolean isClosed() {
        return closed.isDone();
    }

    /** The close code the server sent, waiting up to the test timeout. */
    public int awaitClose() throws Exception {
        return closed.get(TestWorld.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        socket.abort();
    }
}
