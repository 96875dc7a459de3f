package io.assistantstream.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.admin.ConversationStats.AgeBucket;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.Mappings.Mapping;
import io.assistantstream.testing.Mappings;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.RedisKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The thread administration against Redis, on mappings seeded in the store's layout under a prefix
 * of the test's own: the machine's Redis for the small cases, a private redis-server for 100,000
 * channels (so its command statistics are the test's alone).
 */
class ConversationAdminTest {
    private static final String SHARED_REDIS = "redis://127.0.0.1:6379/0";
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Clock FIXED = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Duration THIRTY_DAYS = Duration.ofDays(30);
    private static final int MANY = 100_000;

    private final String prefix = "test:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    /** What the test opened, the latest first. */
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private RedisCommands<String, String> redis;
    private ConversationAdmin admin;
    private Mappings mappings;

    @BeforeEach
    void connect() {
        redis = open(SHARED_REDIS);
        admin = admin(redis, prefix, FIXED);
        mappings = new Mappings(redis, prefix);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource; (resource = opened.poll()) != null; ) {
            resource.close();
        }
    }

    @Test
    void stats_count_the_age_buckets_messages_extremes_and_bytes() {
        List<Mapping> seeded = List.of(
                Mapping.aged("a", NOW, 0.1, 0.05, 3),     // newest conversation
                Mapping.aged("b", NOW, 2, 0.5, 12),       // most active
                Mapping.aged("c", NOW, 40, 3, 1),
                Mapping.aged("d", NOW, 20, 10, 2),
                Mapping.aged("e", NOW, 100, 29.5, 4),
                Mapping.aged("f", NOW, 300, 45, 5),       // oldest conversation, though not the oldest message
                Mapping.aged("g", NOW, 95, 89.9, 8),
                Mapping.aged("h", NOW, 150, 120, 1));
        mappings.add(seeded);

        ConversationStats stats = admin.stats();

        assertEquals(8, stats.threads());
        assertEquals(List.of(new AgeBucket(0, 1, 2, 25.0), new AgeBucket(1, 7, 1, 12.5), new AgeBucket(7, 30, 2, 25.0),
                new AgeBucket(30, 90, 2, 25.0), new AgeBucket(90, null, 1, 12.5)), stats.ages());
        assertEquals(List.of("0-1 days", "1-7 days", "7-30 days", "30-90 days", "90+ days"),
                stats.ages().stream().map(AgeBucket::label).toList());
        assertEquals(36, stats.messages());
        assertEquals(4.5, stats.averageMessages());
        assertEquals(new ConversationStats.Channel("b", 12, seeded.get(1).createdAt()), stats.mostActive());
        assertEquals(new ConversationStats.Channel("f", 5, seeded.get(5).createdAt()), stats.oldest());
        assertEquals(new ConversationStats.Channel("a", 3, seeded.get(0).createdAt()), stats.newest());
        long bytes = redis.memoryUsage(prefix + "channels");
        for (Mapping m : seeded) {
            bytes += redis.memoryUsage(prefix + "thread:" + m.channel()) + redis.memoryUsage(prefix + "metadata:" + m.channel());
        }
        assertTrue(bytes > 0);
        assertEquals(bytes, stats.storageBytes(), "MEMORY USAGE of every mapping's keys and of the index");
    }

    @Test
    void stats_of_no_channels_are_zero_with_no_extremes() {
        ConversationStats stats = admin.stats();

        assertEquals(0, stats.threads());
        assertEquals(0, stats.messages());
        assertEquals(0.0, stats.averageMessages());
        assertTrue(stats.ages().stream().allMatch(bucket -> bucket.threads() == 0 && bucket.percent() == 0.0));
        assertNull(stats.mostActive());
        assertNull(stats.oldest());
        assertNull(stats.newest());
    }

    @Test
    void a_channel_whose_mapping_expired_is_not_counted_and_leaves_the_index() throws InterruptedException {
        mappings.add(List.of(Mapping.aged("kept-1", NOW, 5, 2, 2), Mapping.aged("expired", NOW, 5, 2, 40),
                Mapping.aged("kept-2", NOW, 5, 2, 3)));
        redis.pexpire(prefix + "thread:expired", 1);
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (redis.exists(prefix + "thread:expired") == 1) {
            assertTrue(System.nanoTime() < until, "the thread key did not expire");
            Thread.sleep(5);
        }

        ConversationStats stats = admin.stats();

        assertEquals(2, stats.threads());
        assertEquals(5, stats.messages());
        assertEquals("kept-2", stats.mostActive().channel());
        assertNull(redis.zscore(prefix + "channels", "expired"), "pruned from the index");
        assertEquals(2, redis.zcard(prefix + "channels"));
    }

    @Test
    void one_channel_s_mapping_is_read_with_its_metadata_and_expiry_left_alone() {
        Mapping mapped = Mapping.aged("user:42", NOW, 12, 1.5, 7);
        mappings.add(List.of(mapped));
        redis.expire(prefix + "thread:user:42", 1_000);

        ConversationAdmin.ConversationInfo info = admin.thread("user:42").orElseThrow();

        assertEquals("user:42", info.channel());
        assertEquals("conv_user:42", info.conversationId());
        assertEquals("responses", info.backend());
        assertEquals(mapped.createdAt(), info.createdAt());
        assertEquals(mapped.lastMessageAt(), info.lastMessageAt());
        assertEquals(7, info.messageCount());
        assertTrue(info.expiresInSeconds() > 990 && info.expiresInSeconds() <= 1_000, "TTL " + info.expiresInSeconds());
        assertTrue(redis.ttl(prefix + "thread:user:42") <= 1_000, "reading does not refresh the expiry");
        assertTrue(admin.thread("unknown").isEmpty());
    }

    @Test
    void deleting_one_channel_removes_its_mapping_index_entry_chat_history_and_recent_answers_only() {
        mappings.add(List.of(Mapping.aged("gone", NOW, 5, 2, 2), Mapping.aged("stays", NOW, 5, 2, 2)));
        redis.set(prefix + "seq:gone", "17");
        redis.xadd(prefix + "log:gone", java.util.Map.of("f", "{}"));
        redis.set(prefix + "text:gone", "m\nthe answer");
        redis.rpush(prefix + "history:gone", "{\"message_id\":\"m\",\"message\":{\"role\":\"user\"}}");
        redis.xadd(prefix + "log:stays", java.util.Map.of("f", "{}"));
        redis.rpush(prefix + "history:stays", "{\"message_id\":\"m\",\"message\":{\"role\":\"user\"}}");

        assertTrue(admin.delete("gone"));

        assertEquals(0, redis.exists(prefix + "thread:gone", prefix + "metadata:gone", prefix + "log:gone",
                prefix + "text:gone", prefix + "history:gone"), "its mapping, chat history and recent answers are gone");
        assertEquals(2, redis.exists(prefix + "log:stays", prefix + "history:stays"));
        assertNull(redis.zscore(prefix + "channels", "gone"));
        assertEquals("17", redis.get(prefix + "seq:gone"), "the channel's frame counter keeps counting up");
        assertEquals(2, redis.exists(prefix + "thread:stays", prefix + "metadata:stays"));
        assertEquals(List.of("stays"), redis.zrange(prefix + "channels", 0, -1));
        assertFalse(admin.delete("gone"), "nothing left to delete");
    }

    @Test
    void deleting_old_channels_keeps_the_recent_ones_and_an_old_conversation_with_a_new_message() {
        mappings.add(List.of(Mapping.aged("old-1", NOW, 50, 40, 1), Mapping.aged("old-2", NOW, 200, 100, 1),
                Mapping.aged("recent-1", NOW, 2, 1, 1), Mapping.aged("recent-2", NOW, 20, 10, 1),
                Mapping.aged("old-but-active", NOW, 200, 2, 30)));

        assertEquals(2, admin.deleteOlderThan(THIRTY_DAYS));

        assertEquals(Set.of("recent-1", "recent-2", "old-but-active"), Set.copyOf(redis.zrange(prefix + "channels", 0, -1)));
        assertEquals(0, redis.exists(prefix + "thread:old-1", prefix + "metadata:old-1", prefix + "thread:old-2",
                prefix + "metadata:old-2"));
        assertEquals(3, redis.exists(prefix + "thread:recent-1", prefix + "thread:recent-2",
                prefix + "thread:old-but-active"));
        assertEquals(0, admin.deleteOlderThan(THIRTY_DAYS));
    }

    /**
     * The metadata has the last word on a channel's age: in a cluster the index is written by a call
     * of its own, which can fail after the channel's own write. A channel the index lists as old but
     * whose metadata has a recent message is kept, and listed at that message's time, so the walk of
     * old channels ends.
     */
    @Test
    void a_channel_the_index_lists_as_older_than_its_last_message_is_kept_and_listed_anew() {
        Mapping active = Mapping.aged("listed-late", NOW, 200, 2, 30);
        mappings.add(List.of(active));
        redis.zadd(prefix + "channels", NOW.minus(Duration.ofDays(100)).toEpochMilli() / 1000.0, "listed-late");

        long deleted = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> admin.deleteOlderThan(THIRTY_DAYS));

        assertEquals(0, deleted);
        assertEquals(1, redis.exists(prefix + "thread:listed-late"));
        assertEquals(active.lastMessageAtMillis() / 1000.0, redis.zscore(prefix + "channels", "listed-late"), 0.001);
    }

    /** Metadata written by another hand (a date, another type) neither stops a deletion nor keeps its mapping. */
    @Test
    void a_mapping_whose_metadata_cannot_be_read_as_a_time_is_deleted_like_any_other() {
        mappings.add(List.of(Mapping.aged("iso-date", NOW, 200, 100, 1), Mapping.aged("not-a-hash", NOW, 200, 100, 1),
                Mapping.aged("plain", NOW, 200, 100, 1)));
        redis.hset(prefix + "metadata:iso-date", "last_message_at", "2025-01-01T00:00:00Z");
        redis.del(prefix + "metadata:not-a-hash");
        redis.set(prefix + "metadata:not-a-hash", "written by something else");

        assertEquals(3, admin.deleteOlderThan(THIRTY_DAYS));
        assertEquals(0, redis.exists(prefix + "thread:iso-date", prefix + "thread:not-a-hash", prefix + "thread:plain"));
        assertEquals(0, redis.zcard(prefix + "channels"));
    }

    @Test
    void a_channel_at_the_cutoff_is_kept_and_the_deletion_ends_while_the_clock_moves() {
        // The clock moves a second each time it is read; the cutoff is 30 days before its first reading.
        ConversationAdmin moving = admin(redis, prefix, new TickingClock(NOW, Duration.ofSeconds(1)));
        Instant cutoff = NOW.minus(THIRTY_DAYS);
        mappings.add(List.of(Mapping.aged("older", NOW, 40, 30.001, 1),
                new Mapping("at-cutoff", "conv_1", "responses", cutoff.toEpochMilli(), cutoff.toEpochMilli(), 1),
                new Mapping("just-after", "conv_2", "responses", cutoff.toEpochMilli(), cutoff.toEpochMilli() + 500, 1)));

        long deleted = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> moving.deleteOlderThan(THIRTY_DAYS),
                "a channel listed as old but not deleted as old is listed again and again");

        assertEquals(1, deleted);
        assertEquals(Set.of("at-cutoff", "just-after"), Set.copyOf(redis.zrange(prefix + "channels", 0, -1)));
    }

    @Test
    void deleting_all_removes_indexed_and_unindexed_mappings_but_keeps_the_assistant_and_frame_counters() {
        mappings.add(List.of(Mapping.aged("a", NOW, 5, 2, 1), Mapping.aged("b", NOW, 50, 40, 1),
                Mapping.aged("c", NOW, 500, 400, 1)));
        mappings.addUnindexed(List.of(Mapping.aged("python-1", NOW, 5, 2, 1), Mapping.aged("python-2", NOW, 5, 2, 1)));
        redis.set(prefix + "assistant_id", "asst_1");
        redis.set(prefix + "seq:a", "9");
        redis.set(prefix + "seq:python-1", "4");

        assertEquals(5, admin.deleteAll());

        assertEquals(Set.of(prefix + "assistant_id", prefix + "seq:a", prefix + "seq:python-1"), keysUnder(redis, prefix));
        assertEquals(0, admin.deleteAll());
    }

    @Test
    void deleting_all_under_a_prefix_with_glob_characters_leaves_the_prefixes_it_would_match_as_a_pattern() {
        String globbed = prefix + "t[1]*:";
        List<Mapping> one = List.of(Mapping.aged("c", NOW, 5, 2, 1));
        new Mappings(redis, globbed).addUnindexed(one);
        for (String neighbour : List.of(prefix + "t1:", prefix + "t1-other:")) {
            new Mappings(redis, neighbour).addUnindexed(one);
        }

        assertEquals(1, admin(redis, globbed, FIXED).deleteAll());

        assertEquals(Set.of(prefix + "t1:thread:c", prefix + "t1:metadata:c", prefix + "t1-other:thread:c",
                prefix + "t1-other:metadata:c"), keysUnder(redis, prefix));
    }

    @Test
    void preview_counts_and_names_what_a_deletion_would_remove_oldest_first() {
        List<Mapping> old = IntStream.range(0, 12).mapToObj(i -> Mapping.aged("old-" + i, NOW, 400, 31 + i, 1)).toList();
        mappings.add(old);
        Instant cutoff = NOW.minus(THIRTY_DAYS);
        mappings.add(List.of(Mapping.aged("recent-1", NOW, 3, 1, 1), Mapping.aged("recent-2", NOW, 3, 2, 1),
                new Mapping("at-cutoff", "conv_1", "responses", cutoff.toEpochMilli(), cutoff.toEpochMilli(), 1)));

        ConversationAdmin.Preview older = admin.preview(THIRTY_DAYS);
        ConversationAdmin.Preview all = admin.preview(null);

        assertEquals(12, older.count());
        assertEquals(IntStream.range(2, 12).map(i -> 13 - i).mapToObj(i -> "old-" + i).toList(), older.sample());
        assertEquals(15, all.count());
        assertEquals(older.sample(), all.sample());
        assertEquals(older.count(), admin.deleteOlderThan(THIRTY_DAYS), "the preview announced what was deleted");
        assertEquals(3, admin.preview(null).count());
    }

    @Test
    void stats_over_100000_channels_are_exact_and_quick_without_keys() throws Exception {
        RedisCommands<String, String> own = open(privateRedis().url());
        List<Mapping> seeded = manyChannels();
        long seedStart = System.nanoTime();
        new Mappings(own, prefix).add(seeded);
        Duration seeding = Duration.ofNanos(System.nanoTime() - seedStart);

        long start = System.nanoTime();
        ConversationStats stats = admin(own, prefix, FIXED).stats();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        System.out.printf("stats over %,d channels: %d ms (seeding: %d ms)%n", MANY, took.toMillis(), seeding.toMillis());
        assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "took " + took);
        assertEquals(MANY, stats.threads());
        assertEquals(List.of(new AgeBucket(0, 1, MANY / 5, 20.0), new AgeBucket(1, 7, MANY / 5, 20.0),
                new AgeBucket(7, 30, MANY / 5, 20.0), new AgeBucket(30, 90, MANY / 5, 20.0),
                new AgeBucket(90, null, MANY / 5, 20.0)), stats.ages());
        long messages = seeded.stream().mapToLong(Mapping::messageCount).sum();
        assertEquals(messages, stats.messages());
        assertEquals((double) messages / MANY, stats.averageMessages());
        assertEquals("ch-0", stats.mostActive().channel());
        assertEquals(channelCreated(seeded, Comparator.naturalOrder()), stats.oldest().channel());
        assertEquals(channelCreated(seeded, Comparator.reverseOrder()), stats.newest().channel());
        assertTrue(stats.storageBytes() > MANY * 100L, "bytes: " + stats.storageBytes());
        assertEquals(0, calls(own, "keys"));
        assertTrue(calls(own, "zscan") >= MANY / 1_000, "the index was walked a chunk at a time");
    }

    @Test
    void deleting_100000_old_then_all_channels_goes_chunk_by_chunk_without_keys() throws Exception {
        RedisCommands<String, String> own = open(privateRedis().url());
        Mappings many = new Mappings(own, prefix);
        many.add(manyChannels());
        many.addUnindexed(IntStream.range(0, 2_500).mapToObj(i -> Mapping.aged("python-" + i, NOW, 5, 2, 1)).toList());
        own.set(prefix + "assistant_id", "asst_1");
        ConversationAdmin big = admin(own, prefix, FIXED);

        assertEquals(2 * MANY / 5, big.deleteOlderThan(THIRTY_DAYS));
        assertEquals(3 * MANY / 5, big.stats().threads());
        assertEquals(3 * MANY / 5 + 2_500, big.deleteAll());

        assertEquals(Set.of(prefix + "assistant_id"), keysUnder(own, prefix));
        assertEquals(0, calls(own, "keys"));
    }

    /**
     * {@link #MANY} channels, a fifth in each age bucket; each conversation created a day (and a
     * fraction of a second per channel) before its last message; ch-0 much busier than the rest.
     */
    private static List<Mapping> manyChannels() {
        double[] lastMessageDaysAgo = {0.5, 3, 15, 60, 200};
        List<Mapping> channels = new ArrayList<>(MANY);
        for (int i = 0; i < MANY; i++) {
            double last = lastMessageDaysAgo[i % 5];
            channels.add(Mapping.aged("ch-" + i, NOW, last + 1 + i * 1e-5, last, i == 0 ? 1_000 : 1 + i % 7));
        }
        return channels;
    }

    private static String channelCreated(List<Mapping> mappings, Comparator<Long> first) {
        return mappings.stream().min(Comparator.comparing(Mapping::createdAtMillis, first)).orElseThrow().channel();
    }

    /** How many times Redis ran {@code command} since it started, by {@code INFO commandstats}. */
    private static long calls(RedisCommands<String, String> redis, String command) {
        Matcher calls = Pattern.compile("(?m)^cmdstat_" + command + ":calls=(\\d+)").matcher(redis.info("commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }

    private static Set<String> keysUnder(RedisCommands<String, String> redis, String prefix) {
        Set<String> keys = new HashSet<>();
        ScanIterator.scan(redis, KeyScanArgs.Builder.matches(prefix + "*").limit(1_000)).forEachRemaining(keys::add);
        return keys;
    }

    private PrivateRedis privateRedis() throws Exception {
        PrivateRedis server = new PrivateRedis();
        opened.push(server);
        return server;
    }

    /** A connection whose keys under the test's prefix go when the test ends. */
    private RedisCommands<String, String> open(String url) {
        RedisKeys keys = new RedisKeys(url, prefix);
        opened.push(keys);
        return keys.redis();
    }

    private static ConversationAdmin admin(RedisCommands<String, String> redis, String prefix, Clock clock) {
        return new ConversationAdmin(RedisConnection.of(redis.getStatefulConnection()), KeySpace.standalone(prefix), clock);
    }

    /** A clock that moves {@code step} forward each time it is read. */
    private static final class TickingClock extends Clock {
        private final AtomicLong millis;
        private final long step;

        TickingClock(Instant start, Duration step) {
            this.millis = new AtomicLong(start.toEpochMilli());
            this.step = step.toMillis();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.getAndAdd(step));
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
