package io.assistantstream.frames;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frame log, written by the publisher and read back as a resuming client gets it, on a Redis of
 * the test's own: coalesced, with the whole answer so far rebuilt, and honest about what it lost.
 */
class FrameLogTest {
    private PrivateRedis server;
    private RedisClient redis;
    private StatefulRedisConnection<String, String> reads;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        server = new PrivateRedis();
        redis = RedisClient.create(server.url());
        reads = redis.connect();
    }

    @AfterEach
    void stopIt() throws Exception {
        for (AutoCloseable resource : opened.reversed()) {
            resource.close();
        }
        reads.close();
        redis.shutdown();
        server.close();
    }

    /** A publisher and the log it writes, keeping {@code maxFrames} for {@code keep}, through {@code port}. */
    private FrameLog log(int port, Duration keep, int maxFrames, List<RedisFramePublisher> publisher) {
        FrameLog log = new FrameLog(RedisConnection.of(reads), KeySpace.standalone("t:"));
        RedisClient writer = RedisClient.create("redis://127.0.0.1:" + port + "/0");
        opened.add(writer::shutdown);
        RedisFramePublisher frames = new RedisFramePublisher(RedisConnection.of(writer.connect(ByteArrayCodec.INSTANCE)),
                Duration.ofHours(1), Duration.ofHours(1), log, new RedisFramePublisher.Retention(keep, maxFrames), null,
                LocalDelivery.NONE, TestMeters.fresh());
        opened.add(frames);
        publisher.add(frames);
        return log;
    }

    /** One answer: started, responding, the pieces as in_progress frames, then completed unless {@code open}. */
    private static long answer(ChannelTurn turn, String messageId, List<String> pieces, boolean completed)
            throws Exception {
        long at = 0;
        CompletableFuture<Long> last = turn.publish(frame(messageId, Status.STARTED, "Assistant is processing...", null))
                .toCompletableFuture();
        turn.publish(frame(messageId, Status.RESPONDING, "Assistant is responding...", null));
        StringBuilder text = new StringBuilder();
        for (String piece : pieces) {
            text.append(piece);
            last = turn.publish(frame(messageId, Status.IN_PROGRESS, text.toString(), piece)).toCompletableFuture();
        }
        if (completed) {
            last = turn.publish(frame(messageId, Status.COMPLETED, text.toString(), null)).toCompletableFuture();
        }
        at = last.get(10, TimeUnit.SECONDS);
        return at;
    }

    private static Frame frame(String messageId, Status status, String message, String delta) {
        return new Frame("c", messageId, "conv_1", status, JsonText.of(message), delta, null, 1_000L);
    }

    private static FrameLog.Read read(FrameLog log, long since) throws Exception {
        return log.read("c", since, true).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static List<String> statuses(FrameLog.Read read) {
        return read.frames().stream().map(frame -> frame.frame().status().wire()).toList();
    }

    @Test
    void a_whole_answer_replays_with_its_progress_coalesced_into_one_frame_carrying_the_text() throws Exception {
        List<RedisFramePublisher> publisher = new ArrayList<>();
        FrameLog log = log(server.port(), Duration.ofMinutes(10), 2000, publisher);
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            answer(turn, "m1", List.of("Hel", "lo \"you\"", "\n!"), true);
        }
        FrameLog.Read read = read(log, 0);
        assertTrue(read.recovered());
        assertEquals(List.of("started", "responding", "in_progress", "completed"), statuses(read));
        Frame progress = read.frames().get(2).frame();
        assertEquals(5, read.frames().get(2).seq(), "the coalesced frame carries the last one's seq");
        assertEquals("Hello \"you\"\n!", progress.delta());
        assertEquals(JsonText.of("Hello \"you\"\n!").escaped(), progress.message().escaped());
        assertEquals(6, read.latest());
        List<NumberedFrame> each = log.read("c", 3, false).toCompletableFuture().get(10, TimeUnit.SECONDS).frames();
        assertEquals(List.of(4L, 5L, 6L), each.stream().map(NumberedFrame::seq).toList(), "a gap is filled frame by frame");
        assertEquals("Hello \"you\"", each.get(0).frame().message().escaped().replace("\\\"", "\""));
    }

    @Test
    void a_resume_mid_answer_gets_the_rest_with_the_whole_answer_so_far() throws Exception {
        List<RedisFramePublisher> publisher = new ArrayList<>();
        FrameLog log = log(server.port(), Duration.ofMinutes(10), 2000, publisher);
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            answer(turn, "m1", List.of("one ", "two ", "three ", "four"), false);
        }
        FrameLog.Read read = read(log, 4); // the client has "one two "
        assertTrue(read.recovered());
        assertEquals(1, read.frames().size());
        NumberedFrame rest = read.frames().getFirst();
        assertEquals(6, rest.seq());
        assertEquals("three four", rest.frame().delta());
        assertEquals("one two three four", NumberedFrame.parse(rest.json(false)).message().escaped());
        assertFalse(rest.json(true).contains("\"message\""), "the delta format leaves the text so far out");
    }

    @Test
    void a_trimmed_log_says_it_did_not_reach_back_and_still_ends_with_the_whole_text() throws Exception {
        List<RedisFramePublisher> publisher = new ArrayList<>();
        FrameLog log = log(server.port(), Duration.ofMinutes(10), 3, publisher);
        List<String> pieces = List.of("a", "b", "c", "d", "e", "f", "g");
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            answer(turn, "m1", pieces, true);
        }
        FrameLog.Read read = read(log, 2);
        assertFalse(read.recovered());
        assertEquals(List.of("in_progress", "completed"), statuses(read));
        assertEquals("abcdefg", read.frames().get(0).frame().message().escaped(), "the answer text fills the gap");
        assertEquals("fg", read.frames().get(0).frame().delta());
        assertEquals("abcdefg", read.frames().get(1).frame().message().escaped());
        assertTrue(read(log, 7).recovered(), "a client that has every trimmed frame lost nothing");
    }

    @Test
    void a_log_that_expired_says_so_to_a_client_that_missed_frames_and_not_to_one_that_had_them() throws Exception {
        List<RedisFramePublisher> publisher = new ArrayList<>();
        FrameLog log = log(server.port(), Duration.ofSeconds(1), 2000, publisher);
        long first;
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            first = answer(turn, "m1", List.of("x"), true);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reads.sync().exists("t:log:c") == 1) {
            assertTrue(System.nanoTime() < until, "the log did not expire");
            Thread.sleep(100);
        }
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            answer(turn, "m2", List.of("y"), true);
        }
        assertFalse(read(log, 1).recovered());
        FrameLog.Read whole = read(log, first);
        assertTrue(whole.recovered());
        assertEquals(first + 1, whole.frames().getFirst().seq(), "the next answer follows on from the last seq");
    }

    @Test
    void a_client_ahead_of_the_channel_gets_all_the_log_holds_and_is_told_it_did_not_recover() throws Exception {
        List<RedisFramePublisher> publisher = new ArrayList<>();
        FrameLog log = log(server.port(), Duration.ofMinutes(10), 2000, publisher);
        try (ChannelTurn turn = publisher.getFirst().turn("c")) {
            answer(turn, "m1", List.of("x"), true);
        }
        FrameLog.Read read = read(log, 500);
        assertFalse(read.recovered());
        assertEquals(List.of("started", "responding", "in_progress", "completed"), statuses(read));
    }

    @Test
    void frames_answered_here_that_redis_has_not_logged_yet_are_part_of_the_replay() throws Exception {
        try (TcpProxy proxy = new TcpProxy(server.port())) {
            List<RedisFramePublisher> publisher = new ArrayList<>();
            FrameLog log = log(proxy.port(), Duration.ofMinutes(10), 2000, publisher);
            ChannelTurn turn = publisher.getFirst().turn("c"); // reserves its seqs through the proxy
            proxy.stallAll();
            turn.publish(frame("m1", Status.STARTED, "Assistant is processing...", null));
            turn.publish(frame("m1", Status.RESPONDING, "Assistant is responding...", null));
            turn.publish(frame("m1", Status.IN_PROGRESS, "so far", "so far"));
            FrameLog.Read read = read(log, 0);
            assertEquals(List.of("started", "responding", "in_progress"), statuses(read));
            assertEquals("so far", read.frames().get(2).frame().message().escaped());
            assertNull(reads.sync().get("t:text:c"), "Redis has none of it");
            assertTrue(read.recovered());
        }
    }
}
