package io.assistantstream.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * A Lua script run by its SHA (one small request per call). A Redis that restarted has forgotten its
 * scripts; on {@code NOSCRIPT} the script is sent whole once, which loads it again.
 */
public final class LuaScript {
    private final RedisCommands<String, String> redis;
    private final String source;
    private final String sha;

    public LuaScript(RedisCommands<String, String> redis, String source) {
        this.redis = redis;
        this.source = source;
        this.sha = redis.digest(source);
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

    private <T> T eval(ScriptOutputType type, String[] keys, String... args) {
        try {
            return redis.evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.eval(source, type, keys, args);
        }
    }
}
