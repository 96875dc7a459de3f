package io.assistantstream.testing;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * Channel → conversation mappings written straight into Redis in the store's layout
 * ({@code thread:{channel}}, {@code metadata:{channel}} and, when indexed, the {@code channels} sorted
 * set), so a test can have mappings of any age without answering messages. A Lua script writes a
 * thousand mappings per call: 100,000 take a few seconds.
 */
public final class Mappings {
    /** The store's default expiry, 90 days. */
    public static final long TTL_SECONDS = 7_776_000;
    private static final int CHUNK = 1_000;
    /** ARGV[1]: prefix; ARGV[2]: expiry in seconds; ARGV[3]: '1' to index; then channel, thread id, backend, created_at, last_message_at and message_count per mapping. */
    private static final String WRITE = """
            for i = 4, #ARGV, 6 do
              local thread = ARGV[1] .. 'thread:' .. ARGV[i]
              local metadata = ARGV[1] .. 'metadata:' .. ARGV[i]
              redis.call('SET', thread, ARGV[i + 1], 'EX', ARGV[2])
              redis.call('HSET', metadata, 'thread_id', ARGV[i + 1], 'backend', ARGV[i + 2],
                         'created_at', ARGV[i + 3], 'last_message_at', ARGV[i + 4], 'message_count', ARGV[i + 5])
              redis.call('EXPIRE', metadata, ARGV[2])
              if ARGV[3] == '1' then
                redis.call('ZADD', ARGV[1] .. 'channels', ARGV[i + 4], ARGV[i])
              end
            end
            return 'OK'
            """;

    /** One mapping; times are epoch milliseconds, stored as the store writes them (seconds with 3 decimals). */
    public record Mapping(String channel, String conversationId, String backend, long createdAtMillis,
                          long lastMessageAtMillis, long messageCount) {

        /** A mapping created {@code createdDaysAgo} and last written to {@code lastMessageDaysAgo} before {@code now}. */
        public static Mapping aged(String channel, Instant now, double createdDaysAgo, double lastMessageDaysAgo,
                                   long messageCount) {
            return new Mapping(channel, "conv_" + channel, "responses", daysBefore(now, createdDaysAgo),
                    daysBefore(now, lastMessageDaysAgo), messageCount);
        }

        public String createdAt() {
            return seconds(createdAtMillis);
        }

        public String lastMessageAt() {
            return seconds(lastMessageAtMillis);
        }

        private static long daysBefore(Instant now, double days) {
            return now.toEpochMilli() - Math.round(days * Duration.ofDays(1).toMillis());
        }

        private static String seconds(long millis) {
            return BigDecimal.valueOf(millis, 3).toPlainString();
        }
    }

    private final RedisCommands<String, String> redis;
    private final String prefix;

    public Mappings(RedisCommands<String, String> redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    /** Writes the mappings and indexes them, as the store does. */
    public void add(List<Mapping> mappings) {
        write(mappings, true);
    }

    /** Writes the mappings without index entries, as the Python service did. */
    public void addUnindexed(List<Mapping> mappings) {
        write(mappings, false);
    }

    private void write(List<Mapping> mappings, boolean indexed) {
        for (int from = 0; from < mappings.size(); from += CHUNK) {
            List<String> args = new ArrayList<>(List.of(prefix, Long.toString(TTL_SECONDS), indexed ? "1" : "0"));
            for (Mapping m : mappings.subList(from, Math.min(from + CHUNK, mappings.size()))) {
                args.addAll(List.of(m.channel(), m.conversationId(), m.backend(), m.createdAt(), m.lastMessageAt(),
                        Long.toString(m.messageCount())));
            }
            redis.eval(WRITE, ScriptOutputType.STATUS, new String[0], args.toArray(String[]::new));
        }
    }
}
