package io.assistantstream.bench;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * WebSocket subscribers for a set of channels, {@value #CHANNELS_PER_SOCKET} channels per socket unless
 * told otherwise, that time every frame. Frames are read with plain string search, not a JSON parser, so the driver's own
 * cost per frame stays small next to the service's.
 */
final class Subscribers implements AutoCloseable {
    static final int CHANNELS_PER_SOCKET = 100;

    final Latencies relay = new Latencies();
    /** Fake emit → the frame's {@code timestamp} (made in the service): OpenAI side and SSE reading. */
    final Latencies toService = new Latencies();
    /** The frame's {@code timestamp} → received here: publishing, Redis pub/sub, the WebSocket. */
    final Latencies fromService = new Latencies();
    final Latencies endToEnd = new Latencies();
    /** Publish → the {@code started} frame's timestamp: RabbitMQ, intake and waiting for the channel. */
    final Latencies untilStarted = new Latencies();
    /** {@code started} → {@code completed} timestamps: the answer inside the service, OpenAI included. */
    final Latencies answering = new Latencies();
    final AtomicLong frames = new AtomicLong();
    final AtomicInteger errors = new AtomicInteger();
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger peakLive = new AtomicInteger();
    private final Map<String, Long> publishedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> publishedEpochMicros = new ConcurrentHashMap<>();
    private final Map<String, Long> startedMicros = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> waiting = new ConcurrentHashMap<>();
    private final List<WebSocket> sockets = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private volatile CountDownLatch done = new CountDownLatch(0);
    private volatile Runnable onCompleted = () -> { };
    private volatile Consumer<String> onEveryFrame = frame -> { };

    Subscribers(int port, List<String> channels) throws Exception {
        this(port, channels, CHANNELS_PER_SOCKET);
    }

    /** Subscribers with {@code perSocket} channels on each WebSocket connection. */
    Subscribers(int port, List<String> channels, int perSocket) throws Exception {
        for (int from = 0; from < channels.size(); from += perSocket) {
            List<String> group = channels.subList(from, Math.min(channels.size(), from + perSocket));
            CountDownLatch subscribed = new CountDownLatch(group.size());
            WebSocket socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new Listener(subscribed))
                    .get(10, TimeUnit.SECONDS);
            for (String channel : group) {
                socket.sendText("{\"action\":\"subscribe\",\"channel\":\"" + channel + "\"}", true).get();
            }
            if (!subscribed.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("subscriptions were not acknowledged");
            }
            sockets.add(socket);
        }
    }

    /** Expects {@code answers} terminal frames from now on. */
    void expect(int answers) {
        done = new CountDownLatch(answers);
    }

    boolean await(long seconds) throws InterruptedException {
        return done.await(seconds, TimeUnit.SECONDS);
    }

    /** Called after each terminal frame (the throughput scenario publishes the next message there). */
    void onCompleted(Runnable action) {
        onCompleted = action;
    }

    /**
     * Called with every frame's JSON, after it was timed, on the thread of its socket (one at a time per
     * socket, so a channel's frames arrive in order).
     */
    void onEveryFrame(Consumer<String> action) {
        onEveryFrame = action;
    }

    void published(String messageId) {
        publishedAt.put(messageId, System.nanoTime());
        publishedEpochMicros.put(messageId, epochMicros());
    }

    static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private void onFrame(String frame) {
        frames.incrementAndGet();
        String status = field(frame, "\"status\":\"");
        switch (status) {
            case "in_progress" -> {
                String delta = field(frame, "\"delta\":\"").strip();
                int space = delta.lastIndexOf(' ');
                long received = epochMicros();
                try {
                    long emitted = Long.parseLong(space < 0 ? delta : delta.substring(space + 1));
                    long made = timestampMicros(frame);
                    relay.add(received - emitted);
                    toService.add(made - emitted);
                    fromService.add(received - made);
                } catch (NumberFormatException e) {
                    // not a stamped answer
                }
            }
            case "started" -> {
                peakLive.accumulateAndGet(live.incrementAndGet(), Math::max);
                String messageId = field(frame, "\"message_id\":\"");
                long started = timestampMicros(frame);
                startedMicros.put(messageId, started);
                Long published = publishedEpochMicros.remove(messageId);
                if (published != null) {
                    untilStarted.add(started - published);
                }
            }
            case "completed", "error" -> {
                live.decrementAndGet();
                if (status.equals("error")) {
                    errors.incrementAndGet();
                }
                String messageId = field(frame, "\"message_id\":\"");
                Long at = publishedAt.remove(messageId);
                if (at != null) {
                    endToEnd.add((System.nanoTime() - at) / 1_000);
                }
                Long started = startedMicros.remove(messageId);
                if (started != null) {
                    answering.add(timestampMicros(frame) - started);
                }
                done.countDown();
                onCompleted.run();
            }
            default -> {
            }
        }
    }

    /** The frame's {@code timestamp} (seconds with millisecond decimals) in epoch microseconds. */
    static long timestampMicros(String frame) {
        String key = "\"timestamp\":";
        int start = frame.indexOf(key) + key.length();
        int end = frame.indexOf(',', start);
        return new BigDecimal(frame.substring(start, end)).movePointRight(6).longValueExact();
    }

    private static String field(String frame, String key) {
        int start = frame.indexOf(key);
        if (start < 0) {
            return "";
        }
        start += key.length();
        return frame.substring(start, frame.indexOf('"', start));
    }

    @Override
    public void close() {
        sockets.forEach(WebSocket::abort);
        http.close();
    }

    private final class Listener implements WebSocket.Listener {
        private final CountDownLatch subscribed;
        private final StringBuilder partial = new StringBuilder();

        Listener(CountDownLatch subscribed) {
            this.subscribed = subscribed;
        }

        @Override
        public void onOpen(WebSocket socket) {
            socket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                if (text.startsWith("{\"type\":\"subscribed\"")) {
                    subscribed.countDown();
                } else {
                    onFrame(text);
                    onEveryFrame.accept(text);
                }
            }
            return null;
        }
    }
}
