package io.assistantstream.frames;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.lease.Fence;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames of many turns at once leave in batches, numbered, logged and in order per channel; this
 * instance's subscribers have each frame before Redis does; none waits forever.
 */
class RedisFramePublisherTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PrivateRedis server;
    private RedisClient redis;
    private RedisFramePublisher publisher;
    private final List<NumberedFrame> here = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startRedisAndPublisher() throws Exception {
        server = new PrivateRedis();
        redis = RedisClient.create(server.url());
        publisher = new RedisFramePublisher(RedisConnection.of(redis.connect(ByteArrayCodec.INSTANCE)), Duration.ofHours(1),
                Duration.ofHours(1), new FrameLog(null, KeySpace.standalone("t:")), new RedisFramePublisher.Retention(Duration.ofHours(1),
                5000), null, here::add, TestMeters.fresh());
    }

    @AfterEach
    void stopThem() throws Exception {
        publisher.close();
        redis.shutdown();
        server.close();
    }

    @Test
    void frames_from_many_threads_at_once_are_numbered_in_order_per_channel_even_after_redis_forgot_the_script()
            throws Exception {
        try (StatefulRedisPubSubConnection<String, String> listener = redis.connectPubSub()) {
            Map<String, List<JsonNode>> received = new ConcurrentHashMap<>();
            listener.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String pattern, String topic, String frame) {
                    try {
                        received.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>())
                                .add(JSON.readTree(frame));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            listener.sync().psubscribe("t:frames:*");

            int channels = 4;
            int perChannel = 2_000;
            List<CompletableFuture<Long>> last = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                String channel = "c" + c;
                CompletableFuture<Long> lastOfChannel = new CompletableFuture<>();
                last.add(lastOfChannel);
                writers.add(Thread.ofVirtual().start(() -> {
                    CompletableFuture<Long> seq = null;
                    ChannelTurn turn = publisher.turn(channel);
                    for (int i = 1; i <= perChannel; i++) {
                        if (i == perChannel / 2 && channel.equals("c0")) {
                                try (StatefulRedisConnection<String, String> admin = redis.connect()) {
                                admin.sync().scriptFlush(); // as a restarted Redis would have
                            }
                        }
                        seq = turn.publish(i % 100 == 1 ? responding(channel, "m" + i / 100)
                                : frame(channel, "m" + i / 100, "piece " + i)).toCompletableFuture();
                    }
                    turn.close();
                    seq.whenComplete((value, error) -> {
                        if (error != null) {
                            lastOfChannel.completeExceptionally(error);
                        } else {
                            lastOfChannel.complete(value);
                        }
                    });
                }));
            }
            for (Thread writer : writers) {
                writer.join();
            }
            for (CompletableFuture<Long> seq : last) {
                assertEquals(perChannel, seq.get(30, TimeUnit.SECONDS), "the last frame's seq");
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.values().stream().mapToInt(List::size).sum() < channels * perChannel
                    && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            try (StatefulRedisConnection<String, String> admin = redis.connect()) {
                for (int c = 0; c < channels; c++) {
                    String channel = "c" + c;
                    List<JsonNode> frames = received.get("t:frames:" + channel);
                    assertEquals(perChannel, frames.size());
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < perChannel; i++) {
                        JsonNode published = frames.get(i);
                        assertEquals(i + 1, published.get("seq").asLong());
                        if ((i + 1) % 100 == 1) {
                            text.setLength(0);
                            assertEquals("responding", published.get("status").asText());
                            continue;
                        }
                        text.append("piece ").append(i + 1);
                        assertEquals("piece " + (i + 1), published.get("delta").asText());
                        assertFalse(published.has("message"),
                                "the published frame leaves the answer so far to the hubs: " + published);
                    }
                    String kept = admin.sync().get("t:text:" + channel);
                    assertEquals(text.toString(), kept.substring(kept.indexOf('\n') + 1),
                            "the text beside the log is the latest answer's");
                    assertEquals(perChannel, admin.sync().xlen("t:log:" + channel), "every frame is logged");
                    assertEquals(List.copyOf(java.util.stream.LongStream.rangeClosed(1, perChannel).boxed().toList()),
                            here.stream().filter(frame -> frame.channel().equals(channel)).map(NumberedFrame::seq)
                                    .toList(), "this instance's subscribers had every frame, in order");
                    assertEquals(Long.toString(perChannel), admin.sync().get("t:seq:" + channel),
                            "the turn gave back the seqs it did not use");
                }
            }
        }
    }

    @Test
    void a_frame_whose_log_is_unusable_fails_alone_and_the_others_of_its_batch_go_out() throws Exception {
        aFrameFailsAloneWhenItsKeyIsUnusable("t:log:bad");
    }

    @Test
    void a_frame_whose_answer_text_is_unusable_fails_alone_too() throws Exception {
        aFrameFailsAloneWhenItsKeyIsUnusable("t:text:bad");
    }

    /** Frames of channel "bad", whose {@code key} holds a hash, fail; those of "good", in the same calls, go out. */
    private void aFrameFailsAloneWhenItsKeyIsUnusable(String key) throws Exception {
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            admin.sync().hset(key, "not", "usable");
            ChannelTurn goodTurn = publisher.turn("good");
            ChannelTurn badTurn = publisher.turn("bad");
            List<CompletableFuture<Long>> good = new ArrayList<>();
            List<CompletableFuture<Long>> bad = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                good.add(goodTurn.publish(frame("good", "g" + i)).toCompletableFuture());
                bad.add(badTurn.publish(frame("bad", "b" + i)).toCompletableFuture());
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(i + 1, good.get(i).get(10, TimeUnit.SECONDS));
                CompletableFuture<Long> failed = bad.get(i);
                ExecutionException error = assertThrows(ExecutionException.class,
                        () -> failed.get(10, TimeUnit.SECONDS));
                assertInstanceOf(RedisException.class, error.getCause());
                assertTrue(error.getCause().getMessage().contains("could not be logged"), error.getCause().getMessage());
            }
        }
    }

    @Test
    void a_frame_sent_again_after_redis_logged_it_is_done_and_a_different_one_with_its_seq_fails() throws Exception {
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            Frame same = new Frame("c", "m", "conv", Status.IN_PROGRESS, JsonText.of("x"), "x", null, 1_000L);
            admin.sync().xadd("t:log:c", new io.lettuce.core.XAddArgs().id("1-0"), Map.of("f", same.jsonAfterSeq(true)));
            admin.sync().xadd("t:log:d", new io.lettuce.core.XAddArgs().id("1-0"), Map.of("f", "{}"));
            // lettuce sends a call again when its reply was lost in a reconnect: Redis logged it the first time
            assertEquals(1, publisher.turn("c").publish(same).toCompletableFuture().get(10, TimeUnit.SECONDS));
            CompletableFuture<Long> other = publisher.turn("d").publish(frame("d", "y")).toCompletableFuture();
            assertThrows(ExecutionException.class, () -> other.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void a_turn_whose_seqs_were_taken_over_by_another_stops_at_the_end_of_its_block() throws Exception {
        ChannelTurn lost = publisher.turn("c");
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            admin.sync().incrby("t:seq:c", RedisFramePublisher.BLOCK); // another instance's turn took the channel
        }
        for (int i = 0; i < RedisFramePublisher.BLOCK; i++) {
            lost.publish(frame("c", "x"));
        }
        assertThrows(RedisException.class, () -> lost.publish(frame("c", "one too many")));
    }

    @Test
    void turns_that_follow_each_other_number_on_without_a_gap() throws Exception {
        List<Long> seqs = new ArrayList<>();
        for (int turn = 0; turn < 3; turn++) {
            try (ChannelTurn next = publisher.turn("c")) {
                for (int i = 0; i < 2; i++) {
                    seqs.add(next.publish(frame("c", "t" + turn)).toCompletableFuture().get(10, TimeUnit.SECONDS));
                }
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs);
    }

    @Test
    void a_closed_publisher_fails_frames_instead_of_leaving_anyone_waiting() throws Exception {
        ChannelTurn turn = publisher.turn("c");
        CompletableFuture<Long> before = turn.publish(frame("c", "before")).toCompletableFuture();
        assertEquals(1, before.get(10, TimeUnit.SECONDS));
        publisher.close();
        CompletableFuture<Long> after = turn.publish(frame("c", "after")).toCompletableFuture();
        ExecutionException error = assertThrows(ExecutionException.class,
                () -> after.get(10, TimeUnit.SECONDS));
        assertInstanceOf(RedisException.class, error.getCause());
    }

    @Test
    void a_turn_whose_ticket_lost_the_lease_to_another_has_its_frames_refused_and_the_new_holders_go_through()
            throws Exception {
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            Holder stale = holder(admin, "c", "stale");
            ChannelTurn staleTurn = publisher.turn("c", stale);
            assertEquals(1, staleTurn.publish(frame("c", "m1", "before")).toCompletableFuture().get(10, TimeUnit.SECONDS));

            // The stale holder was paused: its liveness key expired and the next ticket took the channel. It does
            // not know (its lost() is false), and it is not ahead in seqs: only the fence can refuse its frames.
            admin.sync().del(stale.alive());
            admin.sync().lpop(stale.line());
            Holder fresh = holder(admin, "c", "fresh");
            CompletableFuture<Long> afterTakeover = staleTurn.publish(frame("c", "m1", "stale")).toCompletableFuture();
            assertLeaseRefused(afterTakeover);

            ChannelTurn freshTurn = publisher.turn("c", fresh);
            List<CompletableFuture<Long>> fresher = new ArrayList<>();
            List<CompletableFuture<Long>> staler = new ArrayList<>();
            for (int i = 0; i < 20; i++) { // both turns' frames in the same calls: each is judged by its own fence
                fresher.add(freshTurn.publish(frame("c", "m2", "fresh " + i)).toCompletableFuture());
                staler.add(staleTurn.publish(frame("c", "m1", "stale " + i)).toCompletableFuture());
            }
            for (int i = 0; i < 20; i++) {
                assertTrue(fresher.get(i).get(10, TimeUnit.SECONDS) > 1);
                assertLeaseRefused(staler.get(i));
            }
            List<String> deltas = admin.sync().xrange("t:log:c", io.lettuce.core.Range.create("-", "+")).stream()
                    .map(entry -> entry.getBody().get("f")).toList();
            assertEquals(21, deltas.size(), "the stale turn's first frame and the new holder's twenty: " + deltas);
            assertTrue(deltas.getFirst().contains("\"delta\":\"before\""), deltas.getFirst());
            assertTrue(deltas.stream().skip(1).allMatch(json -> json.contains("\"delta\":\"fresh ")),
                    "nothing of the stale turn after the takeover: " + deltas);
        }
    }

    @Test
    void a_turn_whose_holder_knows_its_lease_is_lost_sends_nothing_more_not_even_to_this_instances_clients()
            throws Exception {
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            Holder holder = holder(admin, "c", "holder");
            ChannelTurn turn = publisher.turn("c", holder);
            assertEquals(1, turn.publish(frame("c", "before")).toCompletableFuture().get(10, TimeUnit.SECONDS));
            holder.lose(); // Redis still takes it for the holder: the holder's own knowledge stops it first
            assertLeaseRefused(turn.publish(frame("c", "after")).toCompletableFuture());
            assertEquals(List.of(1L), here.stream().map(NumberedFrame::seq).toList(), "only the frame before");
            assertEquals(1, admin.sync().xlen("t:log:c"));
        }
    }

    @Test
    void a_turn_cannot_open_on_a_lease_that_another_ticket_holds() throws Exception {
        try (StatefulRedisConnection<String, String> admin = redis.connect()) {
            Holder late = new Holder("t:lease:c", "late", "t:lease-alive:late");
            admin.sync().set(late.alive(), "1");
            holder(admin, "c", "first");
            RedisException refused = assertThrows(RedisException.class, () -> publisher.turn("c", late));
            assertTrue(refused.getMessage().contains("no longer holds the channel's lease"), refused.getMessage());
            assertEquals(null, admin.sync().get("t:seq:c"), "no seqs reserved");
        }
    }

    /** A ticket as {@link io.assistantstream.lease.ChannelLease} keeps one, put at the tail of the channel's line. */
    private static Holder holder(StatefulRedisConnection<String, String> admin, String channel, String token) {
        Holder holder = new Holder("t:lease:" + channel, token, "t:lease-alive:" + token);
        admin.sync().rpush(holder.line(), token);
        admin.sync().set(holder.alive(), "1");
        return holder;
    }

    /** A fence as a lease holder shows it; {@link #lose} is the holder learning that its lease lapsed. */
    private static final class Holder implements Fence {
        private final String line;
        private final String token;
        private final String alive;
        private volatile boolean lost;

        Holder(String line, String token, String alive) {
            this.line = line;
            this.token = token;
            this.alive = alive;
        }

        void lose() {
            lost = true;
        }

        @Override
        public String line() {
            return line;
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public String alive() {
            return alive;
        }

        @Override
        public boolean lost() {
            return lost;
        }
    }

    private static void assertLeaseRefused(CompletableFuture<Long> frame) {
        ExecutionException error = assertThrows(ExecutionException.class, () -> frame.get(10, TimeUnit.SECONDS));
        assertInstanceOf(RedisException.class, error.getCause());
        assertTrue(error.getCause().getMessage().contains("lease"), error.getCause().getMessage());
    }

    private static Frame frame(String channel, String delta) {
        return frame(channel, "m", delta);
    }

    private static Frame frame(String channel, String messageId, String delta) {
        return new Frame(channel, messageId, "conv", Status.IN_PROGRESS, JsonText.of(delta), delta, null,
                System.currentTimeMillis());
    }

    private static Frame responding(String channel, String messageId) {
        return new Frame(channel, messageId, "conv", Status.RESPONDING, JsonText.of("Assistant is responding..."),
                null, null, System.currentTimeMillis());
    }
}
