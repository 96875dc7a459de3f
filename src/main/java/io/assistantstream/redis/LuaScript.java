package io.assistantstream.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;

/**
 * A Lua script and what it returns, {@link #call called} by its SHA (one small request per call). A
 * Redis that restarted has forgotten its scripts; on {@code NOSCRIPT} the script is sent whole once,
 * which loads it again. In a cluster a call goes to the master of its first key's slot (every key a
 * script touches must be in that slot); a replica promoted with an empty script cache is taught the
 * script the same way.
 *
 * @param <K> key type of the connection's codec
 * @param <V> value (argument) type of the connection's codec
 * @param <T> what the script returns: a number, a value, or a list
 */
public final class LuaScript<K, V, T> {
    private final RedisConnection<K, V> redis;
    private final String source;
    private final String sha;
    private final ScriptOutputType returns;

    private LuaScript(RedisConnection<K, V> redis, String source, ScriptOutputType returns) {
        this.redis = redis;
        this.source = source;
        this.sha = redis.sync().digest(source);
        this.returns = returns;
    }

    /** A script that returns an integer. */
    public static <K, V> LuaScript<K, V, Long> returningNumber(RedisConnection<K, V> redis, String source) {
        return new LuaScript<>(redis, source, ScriptOutputType.INTEGER);
    }

    /** A script that returns a string, or false (null here). */
    public static <K, V> LuaScript<K, V, V> returningValue(RedisConnection<K, V> redis, String source) {
        return new LuaScript<>(redis, source, ScriptOutputType.VALUE);
    }

    /** A script that returns a list (a Lua table). */
    public static <K, V> LuaScript<K, V, List<Object>> returningList(RedisConnection<K, V> redis,
                                                                   String source) {
        return new LuaScript<>(redis, source, ScriptOutputType.MULTI);
    }

    /** Runs the script and waits for what it returns. */
    @SafeVarargs
    public final T call(K[] keys, V... args) {
        try {
            return redis.sync().evalsha(sha, returns, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.sync().eval(source, returns, keys, args);
        }
    }

    /**
     * Runs the script without waiting, by its SHA; a Redis that forgot it gets it whole. For calls
     * whose order against other calls does not matter.
     */
    @SafeVarargs
    public final CompletionStage<T> callAsync(K[] keys, V... args) {
        CompletionStage<T> bySha = redis.async().evalsha(sha, returns, keys, args);
        return bySha.<CompletionStage<T>>handle((value, error) -> {
            Throwable cause = error instanceof CompletionException wrapped ? wrapped.getCause() : error;
            if (cause instanceof RedisNoScriptException) {
                CompletionStage<T> whole = redis.async().eval(source, returns, keys, args);
                return whole;
            }
            return error == null ? CompletableFuture.completedFuture(value) : CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(stage -> stage);
    }

    /**
     * Sends the script whole, without waiting. Sending the source (Redis caches its compiled form)
     * can never meet {@code NOSCRIPT}, so calls may be pipelined and still run exactly in the order
     * they were made, also after Redis restarted.
     */
    @SafeVarargs
    public final CompletionStage<T> sendWhole(K[] keys, V... args) {
        return redis.async().eval(source, returns, keys, args);
    }
}
