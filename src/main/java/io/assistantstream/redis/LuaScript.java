package io.assistantstream.redis;

import java.util.List;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * A Lua script run by its SHA (one small request per call). A Redis that restarted has forgotten its
 * scripts; on {@code NOSCRIPT} the script is sent whole once, which loads it again.
 *
 * @param <K> key type of the connection's codec
 * @param <V> value (argument) type of the connection's codec
 */
public final class LuaScript<K, V> {
    private final StatefulRedisConnection<K, V> redis;
    private final String source;
    private final String sha;

    public LuaScript(StatefulRedisConnection<K, V> redis, String source) {
        this.redis = redis;
        this.source = source;
        this.sha = redis.sync().digest(source);
    }

    /** Runs the script; it must return an integer. */
    @SafeVarargs
    public final long run(K[] keys, V... args) {
        Long result = eval(ScriptOutputType.INTEGER, keys, args);
        return result;
    }

    /** Runs the script; it must return a string or false (null here). */
    @SafeVarargs
    public final V text(K[] keys, V... args) {
        return eval(ScriptOutputType.VALUE, keys, args);
    }

    /** Runs the script; it must return a list (a Lua table). */
    @SafeVarargs
    public final List<Object> list(K[] keys, V... args) {
        return eval(ScriptOutputType.MULTI, keys, args);
    }

    /**
     * Sends the script whole, without waiting; its result is of {@code type}. Sending the source (Redis
     * caches its compiled form) can never meet {@code NOSCRIPT}, so calls may be pipelined and still
     * run exactly in the order they were made, also after Redis restarted.
     */
    @SafeVarargs
    public final <T> CompletionStage<T> sendWhole(ScriptOutputType type, K[] keys, V... args) {
        return redis.async().eval(source, type, keys, args);
    }

    private <T> T eval(ScriptOutputType type, K[] keys, V[] args) {
        try {
            return redis.sync().evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.sync().eval(source, type, keys, args);
        }
    }
}
