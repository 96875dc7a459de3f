package io.assistantstream.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket client that times cancels: for each message it is told of, it waits for the
 * message's second {@code in_progress} frame, sends {@code {"action":"cancel",…}} at once, and
 * records the time from sending it to the {@code cancelled} frame, read on the client's own thread.
 */
final class CancelTimer implements AutoCloseable {
    final Latencies cancelled = new Latencies();
    private final WebSocket socket;
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();

    /** One message to cancel: its text frames so far, when its cancel went, and when it ended. */
    private static final class Pending {
        private final String channel;
        private int texts;
        private long sentNanos;
        private final CompletableFuture<String> ended = new CompletableFuture<>();

        Pending(String channel) {
            this.channel = channel;
        }
    }

    CancelTimer(int port, Iterable<String> channels) throws Exception {
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            heard(partial.toString());
                            partial.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        for (String channel : channels) {
            socket.sendText("{\"action\":\"subscribe\",\"channel\":\"" + channel + "\"}", true).get(5, TimeUnit.SECONDS);
        }
        Thread.sleep(500); // the subscriptions are live
    }

    /** Times the cancel of {@code messageId} (about to be published on {@code channel}); returns how it ended. */
    CompletableFuture<String> expect(String channel, String messageId) {
        Pending entry = new Pending(channel);
        pending.put(messageId, entry);
        return entry.ended;
    }

    private void heard(String frame) {
        String id = FrameFields.string(frame, "message_id");
        Pending entry = id == null ? null : pending.get(id);
        if (entry == null) {
            return;
        }
        String status = FrameFields.string(frame, "status");
        if ("in_progress".equals(status) && ++entry.texts == 2) {
            entry.sentNanos = System.nanoTime();
            socket.sendText("{\"action\":\"cancel\",\"channel\":\"" + entry.channel + "\",\"message_id\":\"" + id + "\"}",
                    true);
        } else if ("cancelled".equals(status) || "completed".equals(status) || "error".equals(status)) {
            if ("cancelled".equals(status) && entry.sentNanos != 0) {
                cancelled.add((System.nanoTime() - entry.sentNanos) / 1_000);
            }
            pending.remove(id);
            entry.ended.complete(status);
        }
    }

    @Override
    public void close() {
        socket.abort();
    }
}
