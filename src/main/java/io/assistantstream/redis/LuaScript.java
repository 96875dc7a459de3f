package io.assistantstream.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * A Lua script run by its SHA (one small request per call). A Redis that restarted has forgotten its
 * scripts; on {@code NOSCRIPT} the script is sent whole once, which loads it again.
 */
public final class LuaScript {
    private final StatefulRedisConnection<String, String> redis;
    private final String source;
    private final String sha;

    public LuaScript(StatefulRedisConnection<String, String> redis, String source) {
        this.redis = redis;
        this.source = source;
        this.sha = redis.sync().digest(source);
    }

    /** Runs the script; it must return an integer. */
    public long run(String[] keys, String... args) {
        Long result = eval(ScriptOutputType.INTEGER, keys, args);
        return result;
    }

    /** Runs the script; it must return a string or false (null here). */
    public String text(String[] keys, String... args) {
        return eval(ScriptOutputType.VALUE, keys, args);
    }

    /**
     * Sends the script without waiting; it must return an integer. Calls on one connection run in
     * the order they were made, the reload after {@code NOSCRIPT} included (replies, and so the
     * reloads, come back in order).
     */
    public CompletionStage<Long> start(String[] keys, String... args) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        redis.async().<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, args).whenComplete((value, error) -> {
            if (error instanceof RedisNoScriptException) {
                redis.async().<Long>eval(source, ScriptOutputType.INTEGER, keys, args).whenComplete((again, failed) -> {
                    if (failed != null) {
                        result.completeExceptionally(failed);
                    } else {
                        result.complete(again);
                    }
                });
                redis.flushCommands(); // the connection may leave flushing to its owner, who knows nothing of this
            } else if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        });
        return result;
    }

    private <T> T eval(ScriptOutputType type, String[] keys, String... args) {
        try {
            return redis.sync().evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.sync().eval(source, type, keys, args);
        }
    }
}
