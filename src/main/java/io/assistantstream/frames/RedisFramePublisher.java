package io.assistantstream.frames;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.redis.LuaScript;

/**
 * Publishes frames through Redis pub/sub on {@code {prefix}frames:{channel}}; every instance's hub
 * that has subscribers for the channel forwards them. One Lua call per frame assigns the next
 * {@code seq} of the channel, splices it into the JSON and publishes, so numbering and sending
 * cannot drift apart and cost one round trip.
 *
 * <p>The publisher has a connection of its own with automatic flushing off: callers only queue their
 * command, and one flusher thread writes whatever is queued. Under load many frames then leave in
 * one write and one wake-up of the connection's I/O thread instead of one each; when idle, a frame
 * still goes out at once.
 */
public final class RedisFramePublisher implements FramePublisher, AutoCloseable {
    private static final String SCRIPT = """
            local seq = redis.call('INCR', KEYS[1])
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ARGV[2])
            return seq
            """;

    private final String prefix;
    private final String expirySeconds;
    private final LuaScript script;
    private final StatefulRedisConnection<String, String> connection;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final Thread flusher;

    public RedisFramePublisher(StatefulRedisConnection<String, String> connection, String prefix,
                               Duration seqExpiry) {
        this.connection = connection;
        this.prefix = prefix;
        this.expirySeconds = Long.toString(seqExpiry.toSeconds());
        this.script = new LuaScript(connection, SCRIPT);
        connection.setAutoFlushCommands(false);
        this.flusher = Thread.ofVirtual().name("frame-flusher").start(this::flushLoop);
    }

    /** The pub/sub channel that carries the frames of {@code channel}. */
    public static String topic(String prefix, String channel) {
        return prefix + "frames:" + channel;
    }

    @Override
    public CompletionStage<Long> publish(Frame frame) {
        String[] keys = {prefix + "seq:" + frame.channel()};
        CompletionStage<Long> seq = script.start(keys, topic(prefix, frame.channel()), frame.jsonAfterSeq(),
                expirySeconds);
        if (dirty.compareAndSet(false, true)) {
            LockSupport.unpark(flusher);
        }
        return seq;
    }

    private void flushLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            LockSupport.park();
            while (dirty.getAndSet(false)) {
                connection.flushCommands();
            }
        }
    }

    @Override
    public void close() {
        flusher.interrupt();
    }
}
