package io.assistantstream.frames;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.observe.Meters;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.sending.OrderedSender;
import io.assistantstream.store.AnsweredMessages;

/**
 * Publishes frames through Redis pub/sub on {@code {prefix}frames:{channel}}; every instance's hub
 * that has subscribers for the channel forwards them. A Lua call assigns each frame the next
 * {@code seq} of its channel, splices it into the JSON and publishes, so numbering and sending
 * cannot drift apart. In relay mode the call only numbers the frames, which then go, in the same
 * order, to the {@link RelayConnection}; a frame is done once the relay has it.
 *
 * <p>Callers only queue their frame. One sender thread (an {@link OrderedSender}) takes whatever is queued, up to
 * {@value #MAX_BATCH} frames, and sends it as one Lua call, with up to {@value #IN_FLIGHT} calls
 * pipelined. An idle service sends a frame at once, alone; under load, frames queue while calls are
 * in flight and leave together in the next, so the cost per frame (commands, replies, wake-ups)
 * falls as load rises. The script is sent whole, never by SHA, so no call can fail with
 * {@code NOSCRIPT} and be retried out of order after Redis restarted.
 *
 * <p>Measured with the benchmark at 4,000 live answers: one call at a time made a round trip of
 * 5–16 ms on the saturated machine (four thread wake-ups, each waiting for a core), capping the
 * instance near 20,000 frames/s; pipelining lets Redis take several calls per wake-up.
 *
 * <p>Keys and arguments go to lettuce as bytes, encoded on the caller's thread: lettuce would
 * otherwise encode each frame into its buffer on the connection's single I/O thread one character at
 * a time (netty's path without {@code Unsafe}, the default on JDK 25), and that thread became the
 * bottleneck of the whole relay. The sender is a platform thread, so it does not wait for a carrier
 * behind thousands of runnable answer threads.
 */
public final class RedisFramePublisher implements FramePublisher, AutoCloseable {
    static final int MAX_BATCH = 256;
    static final int IN_FLIGHT = 4;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /**
     * KEYS: one seq key per frame; ARGV[1]: seq expiry; ARGV[2]: how long a message's outcome is
     * kept; then per frame its topic (empty: number it only), its JSON after the seq, and, for a
     * {@code completed} frame, the key that records the message as answered (else empty). Recording
     * it in the same call that publishes it means no message completes without being recorded.
     * Returns each frame's seq, or 0 for a frame whose seq key could not be incremented (a key of
     * the wrong type, say): Lua does not roll back, so one bad frame must not fail the others.
     */
    private static final String SCRIPT = """
            local seqs = {}
            for i = 1, #KEYS do
              local seq = redis.pcall('INCR', KEYS[i])
              if type(seq) == 'number' then
                redis.call('EXPIRE', KEYS[i], ARGV[1])
                local topic, json, answered = ARGV[3 * i], ARGV[3 * i + 1], ARGV[3 * i + 2]
                if topic ~= '' then
                  redis.call('PUBLISH', topic, '{"seq":' .. seq .. json)
                end
                if answered ~= '' then
                  redis.call('SET', answered, json, 'EX', ARGV[2])
                end
                seqs[i] = seq
              else
                seqs[i] = 0
              end
            end
            return seqs
            """;

    private record Queued(String channel, byte[] seqKey, byte[] topic, byte[] json, byte[] answeredKey,
                          CompletableFuture<Long> seq) {
    }

    private static final byte[] NONE = new byte[0];

    private final String prefix;
    private final byte[] dedupSeconds;
    private final RelayConnection relay;
    private final Meters meters;
    private final byte[] expirySeconds;
    private final LuaScript<byte[], byte[], List<Object>> script;
    private final OrderedSender<Queued> sender;
    /** Lua calls sent and not yet answered: at most {@value #IN_FLIGHT}; only the sender takes permits. */
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);

    /**
     * @param connection  a connection of the publisher's own, with a byte-array codec
     * @param dedupWindow how long a {@code completed} frame records its message as answered (see
     *                    {@link io.assistantstream.store.AnsweredMessages})
     * @param relay       where numbered frames go instead of Redis pub/sub; null for pub/sub
     */
    public RedisFramePublisher(StatefulRedisConnection<byte[], byte[]> connection, String prefix,
                               Duration seqExpiry, Duration dedupWindow, RelayConnection relay, Meters meters) {
        this.meters = meters;
        this.prefix = prefix;
        this.relay = relay;
        this.dedupSeconds = bytes(Long.toString(dedupWindow.toSeconds()));
        this.expirySeconds = bytes(Long.toString(seqExpiry.toSeconds()));
        this.script = LuaScript.returningList(connection, SCRIPT);
        this.sender = OrderedSender.platform("frame-sender", Integer.MAX_VALUE, MAX_BATCH, OrderedSender.NO_IDLE_WORK,
                new OrderedSender.Sink<>() {
                    @Override
                    public void beforeBatch() throws InterruptedException {
                        inFlight.acquire(); // frames arriving while the pipeline is full join the next call
                    }

                    @Override
                    public void send(List<Queued> batch) {
                        sendPipelined(batch);
                    }
                }, frame -> frame.seq().completeExceptionally(new RedisException("the frame publisher is closed")));
    }

    /** The pub/sub channel that carries the frames of {@code channel}. */
    public static String topic(String prefix, String channel) {
        return prefix + "frames:" + channel;
    }

    /** A {@code completed} frame also records its message as answered, in the same call. */
    @Override
    public CompletionStage<Long> publish(Frame frame) {
        boolean answers = frame.status() == Status.COMPLETED && frame.messageId() != null;
        return enqueue(frame.channel(), frame.jsonAfterSeq(),
                answers ? bytes(AnsweredMessages.key(prefix, frame.channel(), frame.messageId())) : NONE);
    }

    @Override
    public CompletionStage<Long> publishAgain(String channel, String jsonAfterSeq) {
        return enqueue(channel, jsonAfterSeq, NONE);
    }

    private CompletionStage<Long> enqueue(String channel, String jsonAfterSeq, byte[] answeredKey) {
        CompletableFuture<Long> seq = new CompletableFuture<>();
        if (!sender.offer(new Queued(channel, bytes(prefix + "seq:" + channel),
                relay == null ? bytes(topic(prefix, channel)) : NONE, bytes(jsonAfterSeq), answeredKey, seq))) {
            seq.completeExceptionally(new RedisException("the frame publisher is closed"));
        }
        return seq;
    }

    /** Sends a batch as one Lua call, holding one of the {@value #IN_FLIGHT} places until it is answered. */
    private void sendPipelined(List<Queued> batch) {
        if (batch.isEmpty()) { // the queue was emptied by a stop meanwhile
            inFlight.release();
            return;
        }
        send(batch).whenComplete((ignored, error) -> inFlight.release());
    }

    private CompletionStage<List<Object>> send(List<Queued> batch) {
        byte[][] keys = new byte[batch.size()][];
        byte[][] args = new byte[2 + 3 * batch.size()][];
        args[0] = expirySeconds;
        args[1] = dedupSeconds;
        for (int i = 0; i < batch.size(); i++) {
            Queued frame = batch.get(i);
            keys[i] = frame.seqKey();
            args[2 + 3 * i] = frame.topic();
            args[3 + 3 * i] = frame.json();
            args[4 + 3 * i] = frame.answeredKey();
        }
        CompletionStage<List<Object>> seqs;
        try {
            seqs = script.sendWhole(keys, args);
        } catch (RuntimeException | Error e) { // the sender must survive anything, or every answer would hang
            seqs = CompletableFuture.failedFuture(e);
        }
        return seqs.whenComplete((values, error) -> {
            for (int i = 0; i < batch.size(); i++) {
                CompletableFuture<Long> seq = batch.get(i).seq();
                try {
                    if (error != null) {
                        seq.completeExceptionally(error);
                    } else if (values.get(i) instanceof Long number && number > 0) {
                        numbered(batch.get(i), number);
                    } else {
                        seq.completeExceptionally(new RedisException("frame not published: its seq key "
                                + new String(keys[i], StandardCharsets.UTF_8) + " could not be incremented"));
                    }
                } catch (RuntimeException unexpected) {
                    seq.completeExceptionally(unexpected);
                }
            }
        });
    }

    /** A frame has its seq: published already, or now handed to the relay (in this order, frame by frame). */
    private void numbered(Queued frame, long seq) {
        meters.framesSent().increment();
        if (relay == null) {
            frame.seq().complete(seq);
            return;
        }
        relay.send(frame.channel(), "{\"seq\":" + seq + new String(frame.json(), StandardCharsets.UTF_8))
                .whenComplete((sent, error) -> {
                    if (error != null) {
                        frame.seq().completeExceptionally(error);
                    } else {
                        frame.seq().complete(seq);
                    }
                });
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Stops the sender; frames queued and not yet sent fail, so nobody waits for them forever. */
    @Override
    public void close() {
        sender.stopNow(CLOSE_WAIT);
    }
}
