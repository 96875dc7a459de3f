package io.assistantstream.store;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

import io.lettuce.core.ZAddArgs;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

/**
 * The conversation store in Redis. Keys under the prefix: {@code thread:{channel}} (the id),
 * {@code metadata:{channel}} (hash: thread_id, backend, created_at, last_message_at,
 * message_count) and the sorted set {@code channels} (channel by last message time, the index
 * stats and cleanup walk instead of {@code KEYS}). Writes are Lua scripts, so each is atomic and
 * one round trip; the seed's read-modify-write of the metadata raced. On one Redis the script also
 * updates the index; in a cluster the index, a key of its own slot, is updated by a call of its own
 * once the channel's script ran (a script touches one slot only), not waited for.
 */
public final class RedisConversationStore implements ConversationStore {
    private static final Logger LOG = Logger.getLogger(RedisConversationStore.class.getName());
    private static final String MAP = """
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
            redis.call('DEL', KEYS[2])
            redis.call('HSET', KEYS[2], 'thread_id', ARGV[1], 'backend', ARGV[2], 'created_at', ARGV[3],
                       'last_message_at', ARGV[3], 'message_count', 1)
            redis.call('EXPIRE', KEYS[2], ARGV[4])
            if KEYS[3] then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5]) end
            return 1
            """;
    private static final String RECORD = """
            local id = redis.call('GET', KEYS[1])
            if not id then return {} end
            local count = redis.call('HINCRBY', KEYS[2], 'message_count', 1)
            redis.call('HSET', KEYS[2], 'last_message_at', ARGV[1])
            redis.call('EXPIRE', KEYS[2], ARGV[2])
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            if KEYS[3] then redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3]) end
            return {id, count}
            """;

    private final RedisConnection<String, String> redis;
    private final KeySpace keys;
    private final String index;
    private final Duration expiry;
    private final Clock clock;
    private final LuaScript<String, String, Long> map;
    private final LuaScript<String, String, List<Object>> record;

    public RedisConversationStore(RedisConnection<String, String> connection, KeySpace keys, Duration expiry,
                                  Clock clock) {
        this.redis = connection;
        this.keys = keys;
        this.index = keys.global("channels");
        this.expiry = expiry;
        this.clock = clock;
        this.map = LuaScript.returningNumber(connection, MAP);
        this.record = LuaScript.returningList(connection, RECORD);
    }

    @Override
    public ChannelConversation map(String channel, String conversationId, String backend) {
        String now = now();
        map.call(keys(channel), conversationId, backend, now, Long.toString(expiry.toSeconds()), channel);
        indexed(channel, now);
        return new ChannelConversation(channel, conversationId, 1, now);
    }

    @Override
    public Optional<ChannelConversation> recordMessage(String channel) {
        String now = now();
        List<Object> recorded = record.call(keys(channel), now, Long.toString(expiry.toSeconds()), channel);
        if (!recorded.isEmpty()) {
            indexed(channel, now);
        }
        return recorded.isEmpty() ? Optional.empty()
                : Optional.of(new ChannelConversation(channel, (String) recorded.get(0), (Long) recorded.get(1), now));
    }

    private String[] keys(String channel) {
        String thread = keys.of("thread:", channel);
        String metadata = keys.of("metadata:", channel);
        return keys.cluster() ? new String[] {thread, metadata} : new String[] {thread, metadata, index};
    }

    /**
     * In a cluster, lists the channel in the index by a call of its own (one Redis: the script did),
     * not waited for: the index lives on one master, and an answer must not wait for, or fail with,
     * a master other than its channel's. A failed listing is logged; the channel's metadata still
     * holds its age, and its next message lists it.
     */
    private void indexed(String channel, String now) {
        if (keys.cluster()) {
            redis.async().zadd(index, ZAddArgs.Builder.gt(), Double.parseDouble(now), channel)
                    .whenComplete((added, error) -> {
                        if (error != null) {
                            LOG.warning("Could not list channel " + channel + " in the channels index (statistics and"
                                    + " cleanup miss it until its next message): " + error.getMessage());
                        }
                    });
        }
    }

    /** Epoch seconds with milliseconds, the same form as the frames' timestamp. */
    private String now() {
        return BigDecimal.valueOf(clock.millis(), 3).toPlainString();
    }
}
