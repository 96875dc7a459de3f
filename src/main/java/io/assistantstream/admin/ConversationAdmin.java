package io.assistantstream.admin;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import io.assistantstream.redis.LuaScript;

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
     * ARGV[1]: the key prefix; then channels. Per channel: 1 or 0 (mapped), its message count,
     * created_at, and the bytes of its two keys; a channel no longer mapped is pruned from the index
     * (KEYS[1]).
     */
    private static final String INSPECT = """
            local out = {}
            for i = 2, #ARGV do
              local thread = ARGV[1] .. 'thread:' .. ARGV[i]
              local metadata = ARGV[1] .. 'metadata:' .. ARGV[i]
              if redis.call('EXISTS', thread) == 1 then
                local fields = redis.call('HMGET', metadata, 'message_count', 'created_at')
                local bytes = (redis.call('MEMORY', 'USAGE', thread) or 0) + (redis.call('MEMORY', 'USAGE', metadata) or 0)
                table.insert(out, 1)
                table.insert(out, fields[1] or '0')
                table.insert(out, fields[2] or '')
                table.insert(out, bytes)
              else
                redis.call('ZREM', KEYS[1], ARGV[i])
                table.insert(out, 0)
                table.insert(out, '0')
                table.insert(out, '')
                table.insert(out, 0)
              end
            end
            return out
            """;
    /**
     * KEYS[1]: the index; ARGV[1]: the key prefix; ARGV[2]: delete only channels whose last message
     * is older than this score ('+inf': any); then channels. A channel that got a message since it
     * was listed is kept. A deleted channel's frame log, answer text and chat history go too (they
     * hold its recent answers); its seq counter stays, so its clients' seqs keep increasing. Returns how many
     * mappings were deleted.
     */
    private static final String DELETE = """
            local deleted = 0
            local cutoff = tonumber(ARGV[2])
            for i = 3, #ARGV do
              local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
              if not score or tonumber(score) < cutoff then
                deleted = deleted + redis.call('DEL', ARGV[1] .. 'thread:' .. ARGV[i])
                redis.call('DEL', ARGV[1] .. 'metadata:' .. ARGV[i], ARGV[1] .. 'log:' .. ARGV[i],
                  ARGV[1] .. 'text:' .. ARGV[i], ARGV[1] .. 'history:' .. ARGV[i])
                redis.call('ZREM', KEYS[1], ARGV[i])
              end
            end
            return deleted
            """;

    private final RedisCommands<String, String> redis;
    private final String prefix;
    private final String index;
    private final Clock clock;
    private final LuaScript<String, String, List<Object>> inspect;
    private final LuaScript<String, String, Long> delete;

    public ConversationAdmin(StatefulRedisConnection<String, String> connection, String prefix, Clock clock) {
        this.redis = connection.sync();
        this.prefix = prefix;
        this.index = prefix + "channels";
        this.clock = clock;
        this.inspect = LuaScript.returningList(connection, INSPECT);
        this.delete = LuaScript.returningNumber(connection, DELETE);
    }

    /** One channel's mapping, without touching its expiry; empty when the channel has none. */
    public Optional<ConversationInfo> thread(String channel) {
        String id = redis.get(prefix + "thread:" + channel);
        if (id == null) {
            return Optional.empty();
        }
        Map<String, String> metadata = redis.hgetall(prefix + "metadata:" + channel);
        return Optional.of(new ConversationInfo(channel, id, metadata.get("backend"), metadata.get("created_at"),
                metadata.get("last_message_at"), Long.parseLong(metadata.getOrDefault("message_count", "0")),
                redis.ttl(prefix + "thread:" + channel)));
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
            String[] args = new String[chunk.size() + 1];
            args[0] = prefix;
            for (int i = 0; i < chunk.size(); i++) {
                args[i + 1] = chunk.get(i).getValue();
            }
            List<Object> details = inspect.call(new String[] {index}, args);
            for (int i = 0; i < chunk.size(); i++) {
                if ((Long) details.get(4 * i) == 1) {
                    tally.add(chunk.get(i).getValue(), chunk.get(i).getScore(),
                            Long.parseLong((String) details.get(4 * i + 1)), (String) details.get(4 * i + 2),
                            (Long) details.get(4 * i + 3));
                }
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
        return deleteChunk(List.of(channel), "+inf") == 1;
    }

    /** Deletes the mappings whose last message is older than {@code age}; returns how many. */
    public long deleteOlderThan(Duration age) {
        double cutoff = cutoff(age); // read once: the chunks listed and the script must agree on what is old
        Range<Double> old = olderThan(cutoff);
        long deleted = 0;
        for (List<String> chunk; !(chunk = redis.zrangebyscore(index, old, Limit.create(0, CHUNK))).isEmpty(); ) {
            deleted += deleteChunk(chunk, BigDecimal.valueOf(cutoff).toPlainString());
        }
        return deleted;
    }

    /** Deletes every mapping, the index's and any the index does not know; returns how many. */
    public long deleteAll() {
        long deleted = 0;
        for (List<String> chunk; !(chunk = redis.zrange(index, 0, CHUNK - 1)).isEmpty(); ) {
            deleted += deleteChunk(chunk, "+inf");
        }
        String threads = prefix + "thread:";
        ScanArgs unindexed = ScanArgs.Builder.matches(globEscaped(threads) + "*").limit(CHUNK);
        KeyScanCursor<String> cursor = redis.scan(unindexed);
        while (true) {
            List<String> channels = new ArrayList<>();
            cursor.getKeys().forEach(key -> channels.add(key.substring(threads.length())));
            if (!channels.isEmpty()) {
                deleted += deleteChunk(channels, "+inf");
            }
            if (cursor.isFinished()) {
                return deleted;
            }
            cursor = redis.scan(ScanCursor.of(cursor.getCursor()), unindexed);
        }
    }

    private long deleteChunk(List<String> channels, String cutoff) {
        String[] args = new String[channels.size() + 2];
        args[0] = prefix;
        args[1] = cutoff;
        for (int i = 0; i < channels.size(); i++) {
            args[i + 2] = channels.get(i);
        }
        return delete.call(new String[] {index}, args);
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
