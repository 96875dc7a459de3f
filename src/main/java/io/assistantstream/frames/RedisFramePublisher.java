package io.assistantstream.frames;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.redis.LuaScript;

/**
 * Publishes frames through Redis pub/sub on {@code {prefix}frames:{channel}}; every instance's hub
 * that has subscribers for the channel forwards them. One Lua call per frame assigns the next
 * {@code seq} of the channel, splices it into the JSON and publishes, so numbering and sending
 * cannot drift apart and cost one round trip.
 */
public final class RedisFramePublisher implements FramePublisher {
    private static final String SCRIPT = """
            local seq = redis.call('INCR', KEYS[1])
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ARGV[2])
            return seq
            """;

    private final String prefix;
    private final String expirySeconds;
    private final LuaScript script;

    public RedisFramePublisher(StatefulRedisConnection<String, String> redis, String prefix, Duration seqExpiry) {
        this.prefix = prefix;
        this.expirySeconds = Long.toString(seqExpiry.toSeconds());
        this.script = new LuaScript(redis, SCRIPT);
    }

    /** The pub/sub channel that carries the frames of {@code channel}. */
    public static String topic(String prefix, String channel) {
        return prefix + "frames:" + channel;
    }

    @Override
    public CompletionStage<Long> publish(Frame frame) {
        String[] keys = {prefix + "seq:" + frame.channel()};
        return script.start(keys, topic(prefix, frame.channel()), frame.jsonAfterSeq(), expirySeconds);
    }
}
