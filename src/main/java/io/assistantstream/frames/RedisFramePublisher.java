package io.assistantstream.frames;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.redis.LuaScript;

/**
 * Publishes frames through Redis pub/sub on {@code {prefix}frames:{channel}}; every instance's hub
 * that has subscribers for the channel forwards them. A Lua call assigns each frame the next
 * {@code seq} of its channel, splices it into the JSON and publishes, so numbering and sending
 * cannot drift apart.
 *
 * <p>Callers only queue their frame. One sender thread takes whatever is queued, up to
 * {@value #MAX_BATCH} frames, publishes it in one Lua call, waits for the reply, and takes the next
 * batch. An idle service sends a frame at once, alone; under load, frames that arrive during one
 * round trip leave together in the next, so the cost per frame (commands, replies, wake-ups) falls
 * as load rises. One call at a time also keeps every channel's frames in order across a reload of
 * the script after Redis restarted.
 *
 * <p>Keys and arguments go to lettuce as bytes, encoded on the caller's thread: lettuce would
 * otherwise encode each frame into its buffer on the connection's single I/O thread one character at
 * a time (netty's path without {@code Unsafe}, the default on JDK 25), and that thread became the
 * bottleneck of the whole relay.
 */
public final class RedisFramePublisher implements FramePublisher, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisFramePublisher.class.getName());
    static final int MAX_BATCH = 256;
    /** KEYS: one seq key per frame; ARGV[1]: seq expiry; then per frame its topic and JSON after the seq. */
    private static final String SCRIPT = """
            local seqs = {}
            for i = 1, #KEYS do
              local seq = redis.call('INCR', KEYS[i])
              redis.call('EXPIRE', KEYS[i], ARGV[1])
              redis.call('PUBLISH', ARGV[2 * i], '{"seq":' .. seq .. ARGV[2 * i + 1])
              seqs[i] = seq
            end
            return seqs
            """;

    private record Queued(byte[] seqKey, byte[] topic, byte[] json, CompletableFuture<Long> seq) {
    }

    private final String prefix;
    private final byte[] expirySeconds;
    private final LuaScript<byte[], byte[]> script;
    private final Queue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final Thread sender;

    /** @param connection a connection of the publisher's own, with a byte-array codec */
    public RedisFramePublisher(StatefulRedisConnection<byte[], byte[]> connection, String prefix,
                               Duration seqExpiry) {
        this.prefix = prefix;
        this.expirySeconds = bytes(Long.toString(seqExpiry.toSeconds()));
        this.script = new LuaScript<>(connection, SCRIPT);
        this.sender = Thread.ofVirtual().name("frame-sender").start(this::sendLoop);
    }

    /** The pub/sub channel that carries the frames of {@code channel}. */
    public static String topic(String prefix, String channel) {
        return prefix + "frames:" + channel;
    }

    @Override
    public CompletionStage<Long> publish(Frame frame) {
        CompletableFuture<Long> seq = new CompletableFuture<>();
        queue.add(new Queued(bytes(prefix + "seq:" + frame.channel()), bytes(topic(prefix, frame.channel())),
                bytes(frame.jsonAfterSeq()), seq));
        LockSupport.unpark(sender);
        return seq;
    }

    private void sendLoop() {
        List<Queued> batch = new ArrayList<>(MAX_BATCH);
        while (!Thread.currentThread().isInterrupted()) {
            for (Queued next; batch.size() < MAX_BATCH && (next = queue.poll()) != null; ) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                LockSupport.park(this);
                continue;
            }
            send(batch);
            batch.clear();
        }
    }

    private void send(List<Queued> batch) {
        byte[][] keys = new byte[batch.size()][];
        byte[][] args = new byte[1 + 2 * batch.size()][];
        args[0] = expirySeconds;
        for (int i = 0; i < batch.size(); i++) {
            Queued frame = batch.get(i);
            keys[i] = frame.seqKey();
            args[1 + 2 * i] = frame.topic();
            args[2 + 2 * i] = frame.json();
        }
        try {
            List<Long> seqs = script.list(keys, args);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).seq().complete(seqs.get(i));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "Publishing " + batch.size() + " frames failed", e);
            batch.forEach(frame -> frame.seq().completeExceptionally(e));
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        sender.interrupt();
    }
}
