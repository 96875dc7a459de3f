package io.assistantstream.admin;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

/**
 * The administration of channel → conversation mappings (the seed's thread commands), shared by
 * the command line and the {@code /admin} routes: statistics, one channel's mapping, and deletion
 * of one, the old or all mappings. Every walk goes through the store's index ({@code {prefix}channels},
 * channels by last message time) a chunk at a time, never {@code KEYS}; deleting everything also
 * {@code SCAN}s for mappings the index does not know (written by the Python service, say). Members
 * whose mapping has expired are pruned from the index on the way. The assistant id and the frame
 * counters are never touched: a channel's {@code seq} must keep increasing for its clients.
 */
public final class ConversationAdmin {
    private static final int CHUNK = 1_000;
    /** How the admin results are written as JSON, by the routes and the command line's {@code --json}. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    /**
     * KEYS: one channel's mapping and metadata. Returns 1 or 0 (mapped), its message count,
     * created_at, and the bytes of its two keys. One call per channel (pipelined): in a cluster each
     * channel's keys are on the node of its own slot.
     */
    private static final String INSPECT = """
            if redis.call('EXISTS', KEYS[1]) == 0 then
              return {0, '0', '', 0}
            end
            local fields = redis.call('HMGET', KEYS[2], 'message_count', 'created_at')
            local bytes = (redis.call('MEMORY', 'USAGE', KEYS[1]) or 0) + (redis.call('MEMORY', 'USAGE', KEYS[2]) or 0)
            return {1, fields[1] or '0', fields[2] or '', bytes}
            """;
    /**
     * KEYS: one channel's mapping, metadata, frame log, answer text and chat history; ARGV[1]: delete
     * only if its last message (as its metadata says) is older than this ('+inf': whatever its age;
     * metadata that does not say, or cannot be read, says nothing against deleting).
     * A channel that got a message since it was listed is kept, and its last message time returned
     * (the index is then told). Its frame log, answer text and chat history go too (they hold its
     * recent answers); its seq counter stays, so its clients' seqs keep increasing. Returns 1 when a
     * mapping was deleted (0: there was none), and the last message time of one kept ('' otherwise).
     */
    private static final String DELETE = """
            local read, last = pcall(redis.call, 'HGET', KEYS[2], 'last_message_at')
            local at = read and tonumber(last)
            if at and at >= tonumber(ARGV[1]) then
              return {0, last}
            end
            local deleted = redis.call('DEL', KEYS[1])
            redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
            return {deleted, ''}
            """;
    /**
     * KEYS[1]: the index; ARGV: pairs of a channel and its score when it was listed (exact). Removes
     * each channel still listed so: one that got a message meanwhile is listed anew, later, and stays.
     */
    private static final String UNLIST = """
            for i = 1, #ARGV, 2 do
              local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
              if score and tonumber(score) <= tonumber(ARGV[i + 1]) then
                redis.call('ZREM', KEYS[1], ARGV[i])
              end
            end
            return 1
            """;

    private final RedisClusterCommands<String, String> redis;
    private final KeySpace keys;
    private final String index;
    private final Clock clock;
    private final LuaScript<String, String, List<Object>> inspect;
    private final LuaScript<String, String, List<Object>> delete;
    private final LuaScript<String, String, Long> unlist;

    public ConversationAdmin(RedisConnection<String, String> connection, KeySpace keys, Clock clock) {
        this.redis = connection.sync();
        this.keys = keys;
        this.index = keys.global("channels");
        this.clock = clock;
        this.inspect = LuaScript.returningList(connection, INSPECT);
        this.delete = LuaScript.returningList(connection, DELETE);
        this.unlist = LuaScript.returningNumber(connection, UNLIST);
    }

    /** One channel's mapping, without touching its expiry; empty when the channel has none. */
    public Optional<ConversationInfo> thread(String channel) {
        String id = redis.get(keys.of("thread:", channel));
        if (id == null) {
            return Optional.empty();
        }
        Map<String, String> metadata = redis.hgetall(keys.of("metadata:", channel));
        return Optional.of(new ConversationInfo(channel, id, metadata.get("backend"), metadata.get("created_at"),
                metadata.get("last_message_at"), Long.parseLong(metadata.getOrDefault("message_count", "0")),
                redis.ttl(keys.of("thread:", channel))));
    }

    /** Statistics over every mapped channel. */
    public ConversationStats stats() {
        double now = nowSeconds();
        ConversationStats.Tally tally = new ConversationStats.Tally(now);
        ScoredValueScanCursor<String> cursor = null;
        do {
            cursor = cursor == null ? redis.zscan(index, ScanArgs.Builder.limit(CHUNK))
                    : redis.zscan(index, cursor, ScanArgs.Builder.limit(CHUNK));
            List<ScoredValue<String>> chunk = cursor.getValues();
            if (chunk.isEmpty()) {
                continue;
            }
            List<CompletableFuture<List<Object>>> inspected = new ArrayList<>();
            for (ScoredValue<String> listed : chunk) {
                inspected.add(inspect.callAsync(new String[] {keys.of("thread:", listed.getValue()),
                        keys.of("metadata:", listed.getValue())}).toCompletableFuture());
            }
            List<String> unmapped = new ArrayList<>(); // pairs: channel, score
            for (int i = 0; i < chunk.size(); i++) {
                List<Object> details = inspected.get(i).join();
                ScoredValue<String> listed = chunk.get(i);
                if ((Long) details.get(0) == 1) {
                    tally.add(listed.getValue(), listed.getScore(), Long.parseLong((String) details.get(1)),
                            (String) details.get(2), (Long) details.get(3));
                } else {
                    unmapped.add(listed.getValue()); // its mapping expired: unlisted, unless mapped again meanwhile
                    unmapped.add(new BigDecimal(listed.getScore()).toPlainString());
                }
            }
            if (!unmapped.isEmpty()) {
                unlist.call(new String[] {index}, unmapped.toArray(String[]::new));
            }
        } while (!cursor.isFinished());
        Long indexBytes = redis.memoryUsage(index);
        return tally.stats(indexBytes == null ? 0 : indexBytes);
    }

    /** What deleting the mappings older than {@code age} (null: all of them) would delete, for a confirmation. */
    public Preview preview(Duration age) {
        if (age == null) {
            return new Preview(redis.zcard(index), redis.zrange(index, 0, Preview.SAMPLE - 1));
        }
        Range<Double> old = olderThan(cutoff(age));
        return new Preview(redis.zcount(index, old),
                redis.zrangebyscore(index, old, Limit.create(0, Preview.SAMPLE)));
    }

    /** Deletes one channel's mapping; returns whether it had one. */
    public boolean delete(String channel) {
        Double score = redis.zscore(index, channel);
        return deleteChunk(List.of(score == null ? unlisted(channel) : ScoredValue.just(score, channel)), "+inf") == 1;
    }

    /** Deletes the mappings whose last message is older than {@code age}; returns how many. */
    public long deleteOlderThan(Duration age) {
        double cutoff = cutoff(age); // read once: the chunks listed and the script must agree on what is old
        Range<Double> old = olderThan(cutoff);
        long deleted = 0;
        for (List<ScoredValue<String>> chunk;
             !(chunk = redis.zrangebyscoreWithScores(index, old, Limit.create(0, CHUNK))).isEmpty(); ) {
            deleted += deleteChunk(chunk, BigDecimal.valueOf(cutoff).toPlainString());
        }
        return deleted;
    }

    /** Deletes every mapping, the index's and any the index does not know; returns how many. */
    public long deleteAll() {
        long deleted = 0;
        for (List<ScoredValue<String>> chunk; !(chunk = redis.zrangeWithScores(index, 0, CHUNK - 1)).isEmpty(); ) {
            deleted += deleteChunk(chunk, "+inf");
        }
        String threads = keys.global("thread:");
        ScanArgs unindexed = ScanArgs.Builder.matches(globEscaped(threads) + "*").limit(CHUNK);
        KeyScanCursor<String> cursor = redis.scan(unindexed); // in a cluster: every master, one after the other
        while (true) {
            List<ScoredValue<String>> channels = new ArrayList<>();
            cursor.getKeys().forEach(key -> channels.add(unlisted(keys.channelOf(key.substring(threads.length())))));
            if (!channels.isEmpty()) {
                deleted += deleteChunk(channels, "+inf");
            }
            if (cursor.isFinished()) {
                return deleted;
            }
            cursor = redis.scan(cursor, unindexed); // the cursor itself: in a cluster it knows which master it is on
        }
    }

    /** A channel the index does not list: deleting it takes nothing off the index. */
    private static ScoredValue<String> unlisted(String channel) {
        return ScoredValue.just(Double.NaN, channel);
    }

    /**
     * Deletes the channels' mappings (one call each, pipelined), then takes each deleted one off the
     * index if it is still listed as it was (one mapped again meanwhile is listed later, and stays);
     * one kept because it had a message meanwhile is listed with that message's time, so a walk of
     * the old ones does not meet it again.
     *
     * @param listed the channels, each with its score in the index when listed (NaN: not listed)
     * @param cutoff delete the mappings whose last message is older ('+inf': all)
     */
    private long deleteChunk(List<ScoredValue<String>> listed, String cutoff) {
        List<CompletableFuture<List<Object>>> deletions = new ArrayList<>();
        for (ScoredValue<String> entry : listed) {
            String channel = entry.getValue();
            deletions.add(delete.callAsync(new String[] {keys.of("thread:", channel), keys.of("metadata:", channel),
                    keys.of("log:", channel), keys.of("text:", channel), keys.of("history:", channel)}, cutoff)
                    .toCompletableFuture());
        }
        long deleted = 0;
        List<String> gone = new ArrayList<>(2 * listed.size()); // pairs: channel, its score as listed
        for (int i = 0; i < listed.size(); i++) {
            ScoredValue<String> entry = listed.get(i);
            List<Object> outcome = deletions.get(i).join();
            deleted += (Long) outcome.get(0);
            String kept = (String) outcome.get(1);
            if (!kept.isEmpty()) {
                redis.zadd(index, ZAddArgs.Builder.gt(), Double.parseDouble(kept), entry.getValue());
            } else if (!Double.isNaN(entry.getScore())) {
                gone.add(entry.getValue());
                gone.add(new BigDecimal(entry.getScore()).toPlainString());
            }
        }
        if (!gone.isEmpty()) {
            unlist.call(new String[] {index}, gone.toArray(String[]::new));
        }
        return deleted;
    }

    /**
     * Scores strictly below {@code cutoff}, as the delete script takes them: a channel listed is then
     * either deleted or has had a newer message, and is not listed again.
     */
    private static Range<Double> olderThan(double cutoff) {
        return Range.from(Range.Boundary.unbounded(), Range.Boundary.excluding(cutoff));
    }

    private double cutoff(Duration age) {
        return nowSeconds() - age.toMillis() / 1000.0;
    }

    private double nowSeconds() {
        return clock.millis() / 1000.0;
    }

    /** {@code text} with the glob characters of {@code SCAN MATCH} escaped. */
    private static String globEscaped(String text) {
        return text.replaceAll("([\\\\*?\\[\\]^-])", "\\\\$1");
    }

    /** How many mappings a deletion would remove, and a few of their channels to show. */
    public record Preview(long count, List<String> sample) {
        static final int SAMPLE = 10;
    }

    /**
     * One channel's mapping as the store keeps it; {@code expiresInSeconds} is the mapping's TTL. The
     * conversation id keeps the predecessor's name, {@code thread_id}, in JSON.
     */
    public record ConversationInfo(String channel, @JsonProperty("thread_id") String conversationId, String backend,
                                   String createdAt, String lastMessageAt, long messageCount, long expiresInSeconds) {
    }
}
