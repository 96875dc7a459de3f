package io.assistantstream.store;

import java.util.Optional;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

/**
 * The id of the assistant the {@code assistants} backend runs, in Redis at {@code {prefix}assistant_id}
 * with no expiry, shared by every instance (every Redis key: docs/ARCHITECTURE.md).
 */
public final class AssistantIdStore {
    /**
     * KEYS[1]: the id key; ARGV[1]: the id the caller found there ("" for none); ARGV[2]: its
     * replacement. Replaces only what the caller saw (or nothing, if the key is gone), so of
     * instances that start together and each create an assistant, all end up using the one stored
     * first.
     */
    private static final String REPLACE = """
            local current = redis.call('GET', KEYS[1])
            if not current or current == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2])
              return ARGV[2]
            end
            return current
            """;

    private final RedisConnection<String, String> redis;
    private final String key;
    private final LuaScript<String, String, String> replace;

    public AssistantIdStore(RedisConnection<String, String> redis, KeySpace keys) {
        this.redis = redis;
        this.key = keys.global("assistant_id");
        this.replace = LuaScript.returningValue(redis, REPLACE);
    }

    /** The stored id, if any. */
    public Optional<String> get() {
        return Optional.ofNullable(redis.sync().get(key)).filter(id -> !id.isEmpty());
    }

    /**
     * Stores {@code created} in place of {@code seen} (empty: nothing stored) and returns the id now
     * stored: {@code created}, or the id another instance stored meanwhile.
     */
    public String replace(Optional<String> seen, String created) {
        return replace.call(new String[] {key}, seen.orElse(""), created);
    }
}
