package io.assistantstream.frames;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.assistantstream.testing.FakeRelay;
import io.assistantstream.testing.LogWatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay client speaks the relay protocol (a subscribe, acknowledged, before a channel's first
 * frame on each connection; every frame in its envelope) and loses, reorders and blocks nothing when
 * the relay goes away and comes back.
 */
@Timeout(120)
class RelayConnectionTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(200);
    private static final Duration PING = Duration.ofSeconds(25);

    private final List<RelayConnection> opened = new ArrayList<>();
    private FakeRelay relay;

    @BeforeEach
    void startRelay() {
        relay = FakeRelay.start();
    }

    @AfterEach
    void stopAll() {
        opened.forEach(RelayConnection::close);
        relay.close();
    }

    @Test
    void subscribes_once_per_channel_and_wraps_each_frame_in_the_relay_envelope() throws Exception {
        RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
        String odd = "odd \"quoted\" \\ channel\t";
        String oddJson = "\"odd \\\"quoted\\\" \\\\ channel\\t\"";
        List<CompletableFuture<Void>> sent = List.of(
                send(connection, "plain", frame(1, "a")),
                send(connection, odd, frame(1, "b")),
                send(connection, "plain", frame(2, "c")),
                send(connection, odd, frame(2, "d")));
        awaitAll(sent);
        relay.awaitFrames("plain", 2, WAIT);
        relay.awaitFrames(odd, 2, WAIT);
        assertEquals(List.of(
                "{\"type\":\"subscribe\",\"payload\":{\"channel\":\"plain\"}}",
                "{\"type\":\"plain\",\"payload\":{\"seq\":1,\"delta\":\"a\"}}",
                "{\"type\":\"subscribe\",\"payload\":{\"channel\":" + oddJson + "}}",
                "{\"type\":" + oddJson + ",\"payload\":{\"seq\":1,\"delta\":\"b\"}}",
                "{\"type\":\"plain\",\"payload\":{\"seq\":2,\"delta\":\"c\"}}",
                "{\"type\":" + oddJson + ",\"payload\":{\"seq\":2,\"delta\":\"d\"}}"),
                relay.messages(0));
    }

    @Test
    void many_channels_share_one_connection() throws Exception {
        RelayConnection connection = connect(1_000, RelayConnection.ACK_TIMEOUT);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int seq = 1; seq <= 3; seq++) {
            for (int channel = 0; channel < 50; channel++) {
                sent.add(send(connection, "many-" + channel, frame(seq, "x")));
            }
        }
        awaitAll(sent);
        for (int channel = 0; channel < 50; channel++) {
            assertEquals(List.of(1L, 2L, 3L), seqs(relay.awaitFrames("many-" + channel, 3, WAIT)));
            assertEquals(1, relay.subscribes("many-" + channel));
        }
        assertEquals(1, relay.connections());
    }

    @Test
    void a_channel_the_bounded_subscription_memory_forgot_is_subscribed_again() throws Exception {
        RelayConnection connection = connect(10_000, RelayConnection.ACK_TIMEOUT);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        sent.add(send(connection, "first", frame(1, "x")));
        sent.add(send(connection, "first", frame(2, "x"))); // recently used again: not forgotten yet
        for (int channel = 0; channel < RelayConnection.SUBSCRIBED_CHANNELS; channel++) {
            sent.add(send(connection, "other-" + channel, frame(1, "x")));
        }
        sent.add(send(connection, "first", frame(3, "x")));
        sent.add(send(connection, "other-" + (RelayConnection.SUBSCRIBED_CHANNELS - 1), frame(2, "x")));
        awaitAll(sent);
        assertEquals(List.of(1L, 2L, 3L), seqs(relay.awaitFrames("first", 3, WAIT)));
        assertEquals(2, relay.subscribes("first"), "forgotten after " + RelayConnection.SUBSCRIBED_CHANNELS
                + " other channels, so subscribed again");
        relay.awaitFrames("other-" + (RelayConnection.SUBSCRIBED_CHANNELS - 1), 2, WAIT);
        assertEquals(1, relay.subscribes("other-" + (RelayConnection.SUBSCRIBED_CHANNELS - 1)));
        assertEquals(1, relay.connections());
    }

    @Test
    void frames_wait_while_the_relay_is_away_and_arrive_in_order_after_it_returns() throws Exception {
        try (LogWatch log = LogWatch.of(RelayConnection.class.getName())) {
            RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
            send(connection, "away", frame(1, "before")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            relay.stop();
            assertTrue(log.await("is unavailable", WAIT), "the break is noticed while idle");
            List<CompletableFuture<Void>> waiting = new ArrayList<>();
            for (int seq = 2; seq <= 6; seq++) {
                waiting.add(send(connection, "away", frame(seq, "while away")));
            }
            assertTrue(log.await("still unavailable", WAIT), "reconnecting is retried");
            waiting.forEach(sent -> assertFalse(sent.isDone(), "no frame is done while no relay can take it"));

            relay.restart();
            awaitAll(waiting);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(relay.awaitFrames("away", 6, WAIT)));
            assertEquals(2, relay.subscribes("away"), "subscribed again on the new connection");
            assertTrue(log.await("is back; 5 frames were waiting", WAIT));
            assertEquals(1, log.count("is unavailable"), "one warning for the whole outage: " + log.lines());
        }
    }

    @Test
    void a_relay_restart_in_the_middle_of_a_stream_loses_nothing_and_reorders_nothing() throws Exception {
        RelayConnection connection = connect(10_000, RelayConnection.ACK_TIMEOUT);
        int total = 3_000;
        List<CompletableFuture<Void>> sent = new CopyOnWriteArrayList<>();
        FutureTask<Void> producer = new FutureTask<>(() -> {
            for (int seq = 1; seq <= total; seq++) {
                sent.add(send(connection, "stream", frame(seq, "piece " + seq)));
                if (seq % 10 == 0) {
                    Thread.sleep(1); // a stream, not one burst: the restart lands in its middle
                }
            }
            return null;
        });
        Thread.ofVirtual().start(producer);
        try {
            relay.awaitFrames("stream", total / 4, WAIT);
            relay.restart();
            producer.get(WAIT.toSeconds(), TimeUnit.SECONDS); // the producer's failure fails the test
        } finally {
            producer.cancel(true);
        }
        assertEquals(total, sent.size());
        awaitAll(sent);

        List<JsonNode> frames = relay.awaitFrames("stream", total, WAIT);
        long until = System.nanoTime() + WAIT.toNanos();
        while (frames.getLast().get("seq").asLong() < total) { // a duplicate counts too: wait for the last
            if (System.nanoTime() > until) {
                break; // the checks below say what is missing or out of order
            }
            Thread.sleep(10);
            frames = relay.frames("stream");
        }
        long expected = 1;
        int duplicates = 0;
        for (int i = 0; i < frames.size(); i++) {
            if (i > 0 && frames.get(i).equals(frames.get(i - 1))) {
                duplicates++; // the frame in flight at the break, sent again
                continue;
            }
            assertEquals(expected++, frames.get(i).get("seq").asLong(), "frame " + i + " of " + frames.size());
        }
        assertEquals(total + 1, expected, "the frames up to seq " + total + " arrived, in order");
        assertTrue(duplicates <= 1, duplicates + " duplicates");
        assertTrue(relay.subscribes("stream") >= 2, "subscribed again after the restart");
    }

    @Test
    void a_frame_whose_write_is_cut_off_is_sent_again_whole_before_the_next() throws Exception {
        RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
        send(connection, "cut", frame(1, "small")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        relay.awaitFrames("cut", 1, WAIT);
        relay.hangUpMidMessage();
        String big = "x".repeat(16 << 20); // more than the socket buffers take, so the write is still going
        List<CompletableFuture<Void>> sent = List.of(send(connection, "cut", frame(2, big)),
                send(connection, "cut", frame(3, "after")));
        awaitAll(sent);
        List<JsonNode> frames = relay.awaitFrames("cut", 3, WAIT);
        assertEquals(List.of(1L, 2L, 3L), seqs(frames));
        assertEquals(big, frames.get(1).get("delta").asText());
        assertEquals(2, relay.connections());
        assertEquals(2, relay.subscribes("cut"));
    }

    @Test
    void a_full_buffer_fails_the_frame_at_once() throws Exception {
        relay.stop();
        RelayConnection connection = connect(3, RelayConnection.ACK_TIMEOUT);
        List<CompletableFuture<Void>> buffered = List.of(send(connection, "full", frame(1, "x")),
                send(connection, "full", frame(2, "x")), send(connection, "full", frame(3, "x")));
        CompletableFuture<Void> overflow = send(connection, "full", frame(4, "x"));
        assertTrue(overflow.isCompletedExceptionally(), "failed at once, not after a wait");
        assertRelayUnavailable(overflow, "buffer is full");

        relay.restart();
        awaitAll(buffered);
        assertEquals(List.of(1L, 2L, 3L), seqs(relay.awaitFrames("full", 3, WAIT)));
        send(connection, "full", frame(5, "x")).get(WAIT.toSeconds(), TimeUnit.SECONDS); // room again
        assertEquals(List.of(1L, 2L, 3L, 5L), seqs(relay.awaitFrames("full", 4, WAIT)));
    }

    @Test
    void an_unacknowledged_subscribe_reconnects() throws Exception {
        try (LogWatch log = LogWatch.of(RelayConnection.class.getName())) {
            relay.withholdAcks(true);
            RelayConnection connection = connect(100, Duration.ofMillis(300));
            CompletableFuture<Void> sent = send(connection, "unacked", frame(1, "x"));
            assertTrue(log.await("no acknowledgement of a subscribe within 300 ms", WAIT));
            awaitSubscribes("unacked", 2);
            assertTrue(relay.connections() >= 2, "each subscribe on a new connection");
            assertFalse(sent.isDone(), "a frame goes only after its channel's subscribe is acknowledged");
            assertEquals(List.of(), relay.frames("unacked"));

            relay.withholdAcks(false);
            sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of(1L), seqs(relay.awaitFrames("unacked", 1, WAIT)));
        }
    }

    @Test
    void acknowledgements_naming_their_channel_in_the_payload_or_not_at_all_are_understood() throws Exception {
        relay.acknowledgeWith(channel -> channel.equals("in-payload")
                ? "{\"type\":\"subscribed\",\"payload\":{\"channel\":\"in-payload\"}}"
                : "{\"type\":\"subscribed\"}");
        RelayConnection connection = connect(100, Duration.ofMillis(500));
        awaitAll(List.of(send(connection, "in-payload", frame(1, "x")), send(connection, "unnamed", frame(1, "y"))));
        relay.awaitFrames("in-payload", 1, WAIT);
        relay.awaitFrames("unnamed", 1, WAIT);
        assertEquals(1, relay.connections(), "no acknowledgement was missed");
    }

    @Test
    void close_fails_buffered_frames() throws Exception {
        relay.stop();
        RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
        List<CompletableFuture<Void>> buffered = List.of(send(connection, "closing", frame(1, "x")),
                send(connection, "closing", frame(2, "x")));
        connection.close();
        for (CompletableFuture<Void> frame : buffered) {
            assertRelayUnavailable(frame, "closed");
        }
        CompletableFuture<Void> after = send(connection, "closing", frame(3, "x"));
        assertTrue(after.isCompletedExceptionally(), "failed at once");
        assertRelayUnavailable(after, "closed");
    }

    @Test
    void close_says_goodbye_to_the_relay() throws Exception {
        RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
        send(connection, "bye", frame(1, "x")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        connection.close();
        assertEquals("1000 assistant-stream is stopping", relay.closedWith(0));
    }

    @Test
    void a_frame_that_is_not_valid_text_fails_alone() throws Exception {
        RelayConnection connection = connect(100, RelayConnection.ACK_TIMEOUT);
        CompletableFuture<Void> malformed = send(connection, "text", "{\"seq\":1,\"delta\":\"\uD800\"}");
        CompletableFuture<Void> next = send(connection, "text", frame(2, "fine"));
        ExecutionException error = assertThrows(ExecutionException.class,
                () -> malformed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, error.getCause());
        next.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(List.of(2L), seqs(relay.awaitFrames("text", 1, WAIT)));
    }

    private RelayConnection connect(int bufferFrames, Duration ackTimeout) {
        RelayConnection connection = new RelayConnection(relay.url(), bufferFrames, MAX_BACKOFF, ackTimeout, PING);
        opened.add(connection);
        return connection;
    }

    private static CompletableFuture<Void> send(RelayConnection connection, String channel, String frame) {
        return connection.send(channel, frame).toCompletableFuture();
    }

    private static String frame(long seq, String delta) {
        return "{\"seq\":" + seq + ",\"delta\":\"" + delta + "\"}";
    }

    private static List<Long> seqs(List<JsonNode> frames) {
        return frames.stream().map(frame -> frame.get("seq").asLong()).toList();
    }

    private static void awaitAll(List<CompletableFuture<Void>> sent) throws Exception {
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private void awaitSubscribes(String channel, int count) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (relay.subscribes(channel) < count) {
            assertTrue(System.nanoTime() < until, "only " + relay.subscribes(channel) + " subscribes to " + channel);
            Thread.sleep(10);
        }
    }

    private static void assertRelayUnavailable(CompletableFuture<Void> frame, String reason) {
        ExecutionException error = assertThrows(ExecutionException.class,
                () -> frame.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(RelayUnavailableException.class, error.getCause());
        assertTrue(error.getCause().getMessage().contains(reason), error.getCause().getMessage());
    }
}
