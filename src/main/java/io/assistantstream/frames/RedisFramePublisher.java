package io.assistantstream.frames;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.observe.Meters;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.sending.OrderedSender;
import io.assistantstream.store.AnsweredMessages;

/**
 * Numbers, logs and publishes frames. A frame answered here is numbered on the answering thread from
 * a block of seqs its {@link ChannelTurn} reserved in Redis (one round trip per turn, not per frame),
 * handed at once to this instance's subscribers ({@link LocalDelivery}), and only then queued for
 * Redis. The terminal frame ({@code completed} or {@code error}) alone reaches this instance's
 * subscribers only once Redis logged it, like everyone else's: a client never sees a message end
 * that could still be answered again (its delivery requeued because Redis failed). Redis appends
 * each frame to the channel's log ({@link FrameLog}) and publishes it on
 * {@code {prefix}frames:{channel}} for the other instances, in one Lua call per batch. In relay mode
 * a frame goes to the {@link RelayConnection} instead of this instance's subscribers (the terminal
 * one, again, once logged), and is logged but not published.
 *
 * <p>Seqs stay strictly increasing across instances because a channel's turns follow each other under
 * its lease and each reserves its block with {@code INCRBY}; a turn gives back the numbers it did not
 * use when it ends, so a channel's seqs normally follow on without gaps. A frame is done (its future
 * completes) once Redis logged and published it, and, in relay mode, the relay took it: a delivery is
 * acknowledged only after its terminal frame is done.
 *
 * <p>One sender thread (an {@link OrderedSender}) takes whatever is queued, up to {@value #MAX_BATCH}
 * frames, gathered for up to {@link #LINGER}, and sends it as one Lua call, with up to
 * {@value #IN_FLIGHT} calls pipelined: frames queue while calls are in flight and leave together in
 * the next, so the cost per frame falls as load rises. The script is sent whole, never by SHA, so no call can fail with {@code NOSCRIPT}
 * and be retried out of order after Redis restarted. Keys and arguments are encoded to bytes on the
 * caller's thread, not on lettuce's single I/O thread. The sender is a platform thread, so it does
 * not wait for a carrier behind thousands of runnable answer threads.
 */
public final class RedisFramePublisher implements FramePublisher, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisFramePublisher.class.getName());
    static final int MAX_BATCH = 256;
    static final int IN_FLIGHT = 4;
    /**
     * How long a frame may wait for others to join its Lua call. Frames reach this instance's clients
     * without waiting for Redis, so Redis may take them in fewer, larger calls: each call costs a
     * round trip and several thread wake-ups whatever it carries. A terminal frame goes at once: the
     * delivery's acknowledgement waits for it.
     */
    static final Duration LINGER = Duration.ofMillis(5);
    /** Seqs a turn reserves at a time; a turn that needs more reserves the next block. */
    static final int BLOCK = 1000;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    private static final int ARGS_PER_FRAME = 7;
    /**
     * KEYS: per frame its log and its answer-text key. ARGV[1]: log retention in seconds; ARGV[2]: most
     * frames a log keeps; ARGV[3]: how long a completed message is remembered as answered; then per
     * frame: seq; the seq before it in its turn (0: none); its JSON after the seq, compact (an
     * in_progress frame without message); what it does to the answer text ('r' starts it with the
     * message id and a newline, 'a' appends the escaped delta, '' nothing) and the argument for that;
     * its pub/sub topic ('' in relay mode); the key recording its message as answered ('' unless
     * completed).
     *
     * <p>What is published is what is logged: an in_progress frame without the answer so far, which
     * each listening hub keeps itself, so a frame costs Redis the same at the end of a long answer as
     * at its start. Each key's expiry is set once per call. A log
     * found missing (it expired, or was deleted, during the turn) is created recording everything
     * before the frame as deleted, and trimming deletes the oldest entries (at most 100 per frame, so
     * a lowered limit is reached over a few frames): the stream's max deleted id then tells a reader
     * whether the log reaches back.
     *
     * <p>Each frame is written in a protected call, so a frame that fails fails alone and the others
     * of the call go on: Lua does not roll back. A frame whose seq is not above the log's last one is
     * either this very frame again (lettuce sends a call again after a reconnect when its reply was
     * lost: it is done already) or a frame of a turn whose lease was lost, which fails.
     */
    private static final String WRITE = """
            local seconds, most, dedup = ARGV[1], tonumber(ARGV[2]), ARGV[3]
            local done, expiring, checked = {}, {}, {}
            local function write(log, text, seq, prev, json, op, arg, topic, answered)
              local fresh = false
              if not checked[log] then
                checked[log] = true
                fresh = redis.call('EXISTS', log) == 0
              end
              local added = redis.pcall('XADD', log, seq .. '-0', 'f', json)
              if type(added) == 'table' and added.err then
                local same = redis.call('XRANGE', log, seq .. '-0', seq .. '-0')
                if #same == 1 and same[1][2][2] == json then
                  return 1
                end
                return 0
              end
              if fresh and prev ~= '0' then
                redis.call('XSETID', log, seq .. '-0', 'MAXDELETEDID', prev .. '-0')
              end
              local over = redis.call('XLEN', log) - most
              if over > 0 then
                local ids = {}
                for _, entry in ipairs(redis.call('XRANGE', log, '-', '+', 'COUNT', math.min(over, 100))) do
                  ids[#ids + 1] = entry[1]
                end
                redis.call('XDEL', log, unpack(ids))
              end
              expiring[log] = true
              expiring[text] = true
              if op == 'r' then
                redis.call('SET', text, arg)
              elseif op == 'a' then
                redis.call('APPEND', text, arg)
              end
              if topic ~= '' then
                redis.call('PUBLISH', topic, '{"seq":' .. seq .. json)
              end
              if answered ~= '' then
                redis.call('SET', answered, json, 'EX', dedup)
              end
              return 1
            end
            for i = 1, #KEYS / 2 do
              local a = 3 + 7 * (i - 1)
              local ok, result = pcall(write, KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3],
                ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7])
              done[i] = ok and result or 0
            end
            for key in pairs(expiring) do
              redis.call('EXPIRE', key, seconds)
            end
            return done
            """;
    /**
     * KEYS: the seq counter, the log; ARGV: block size, the counter's expiry, the log's, and for a
     * turn's next block the last seq of its block before ('' for its first). Returns the block's last
     * seq, or 0 when the counter moved on since the turn's block before: another turn numbers the
     * channel (this one's lease was lost), and this one must stop. A channel without a log gets an empty one that records every seq before the
     * block as deleted: a client resuming before the turn's first frame is logged is told the truth
     * (nothing lost for a new channel; frames lost when an earlier log expired).
     */
    private static final String RESERVE = """
            if ARGV[4] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[4] then
              return 0
            end
            local top = redis.call('INCRBY', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            if redis.call('EXISTS', KEYS[2]) == 0 then
              local prev = top - tonumber(ARGV[1])
              redis.call('XADD', KEYS[2], '0-1', 'f', '')
              redis.call('XDEL', KEYS[2], '0-1')
              if prev > 0 then
                redis.call('XSETID', KEYS[2], prev .. '-0', 'MAXDELETEDID', prev .. '-0')
              end
              redis.call('EXPIRE', KEYS[2], ARGV[3])
            end
            return top
            """;
    /** KEYS[1]: the seq counter; ARGV: the block's last seq, the last one used. Gives back the rest. */
    private static final String GIVE_BACK = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
              return 1
            end
            return 0
            """;

    private record Queued(NumberedFrame frame, byte[] logKey, byte[] textKey, byte[][] args,
                          CompletableFuture<Long> logged) {
    }

    private static final byte[] NONE = new byte[0];
    private static final byte[] RESET = bytes("r");
    private static final byte[] APPEND = bytes("a");

    private final String prefix;
    private final RelayConnection relay;
    private final FrameLog log;
    private final LocalDelivery local;
    private final Meters meters;
    private final byte[] logSeconds;
    private final byte[] maxFrames;
    private final byte[] dedupSeconds;
    private final byte[] seqExpirySeconds;
    private final LuaScript<byte[], byte[], List<Object>> write;
    private final LuaScript<byte[], byte[], Long> reserve;
    private final LuaScript<byte[], byte[], Long> giveBack;
    private final OrderedSender<Queued> sender;
    /** Lua calls sent and not yet answered: at most {@value #IN_FLIGHT}; only the sender takes permits. */
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);

    /**
     * @param connection  a connection of the publisher's own, with a byte-array codec
     * @param seqExpiry   how long a channel's seq counter outlives its last turn
     * @param dedupWindow how long a {@code completed} frame records its message as answered (see
     *                    {@link AnsweredMessages})
     * @param log         the frames on their way to the log, for resuming clients
     * @param logSettings how long and how many frames each channel's log keeps
     * @param relay       where frames go instead of Redis pub/sub; null for pub/sub
     * @param local       this instance's subscribers
     */
    public RedisFramePublisher(StatefulRedisConnection<byte[], byte[]> connection, Duration seqExpiry,
                               Duration dedupWindow, FrameLog log, Retention logSettings, RelayConnection relay,
                               LocalDelivery local, Meters meters) {
        this.prefix = log.prefix();
        this.log = log;
        this.local = local;
        this.meters = meters;
        this.relay = relay;
        this.logSeconds = bytes(Long.toString(Math.max(1, logSettings.keep().toSeconds())));
        this.maxFrames = bytes(Integer.toString(logSettings.maxFrames()));
        this.dedupSeconds = bytes(Long.toString(dedupWindow.toSeconds()));
        this.seqExpirySeconds = bytes(Long.toString(seqExpiry.toSeconds()));
        this.write = LuaScript.returningList(connection, WRITE);
        this.reserve = LuaScript.returningNumber(connection, RESERVE);
        this.giveBack = LuaScript.returningNumber(connection, GIVE_BACK);
        this.sender = OrderedSender.<Queued>platform("frame-sender", Integer.MAX_VALUE, MAX_BATCH, OrderedSender.NO_IDLE_WORK,
                new OrderedSender.Sink<>() {
                    @Override
                    public void beforeBatch() throws InterruptedException {
                        inFlight.acquire(); // frames arriving while the pipeline is full join the next call
                    }

                    @Override
                    public void send(List<Queued> batch) {
                        sendPipelined(batch);
                    }
                }, frame -> failed(frame, new RedisException("the frame publisher is closed"))).lingering(LINGER);
    }

    /** How long a channel's frame log keeps frames after its last one, and how many at most. */
    public record Retention(Duration keep, int maxFrames) {
        public Retention {
            if (keep.isNegative() || keep.isZero() || maxFrames < 1) {
                throw new IllegalArgumentException("a frame log keeps frames for a positive time, at least one");
            }
        }
    }

    /** The pub/sub channel that carries the frames of {@code channel}. */
    public static String topic(String prefix, String channel) {
        return prefix + "frames:" + channel;
    }

    @Override
    public ChannelTurn turn(String channel) {
        return new Turn(channel);
    }

    /** One turn: numbers from its reserved block, in the order its one thread publishes. */
    private final class Turn implements ChannelTurn {
        private final String channel;
        private final byte[] seqKey;
        private final byte[] logKey;
        private final byte[] textKey;
        private final byte[] topic;
        private long next;
        private long top;
        /** The last seq this turn used, or the one before its first block. */
        private long used;

        Turn(String channel) {
            this.channel = channel;
            this.seqKey = bytes(FrameLog.seqKey(prefix, channel));
            this.logKey = bytes(FrameLog.logKey(prefix, channel));
            this.textKey = bytes(FrameLog.textKey(prefix, channel));
            this.topic = relay == null ? bytes(topic(prefix, channel)) : NONE;
            reserveBlock(NONE);
            used = next - 1;
        }

        /** Reserves the next block; after {@code before}, the last seq of the turn's block before, if any. */
        private void reserveBlock(byte[] before) {
            long reserved = reserve.call(new byte[][] {seqKey, logKey}, bytes(Integer.toString(BLOCK)), seqExpirySeconds,
                    logSeconds, before);
            if (reserved == 0) {
                throw new RedisException("the seqs of channel " + channel + " moved on while this answer numbered"
                        + " its frames: another instance answers it (this one's lease was lost)");
            }
            top = reserved;
            next = top - BLOCK + 1;
        }

        private long number() {
            if (next > top) {
                reserveBlock(bytes(Long.toString(top)));
            }
            long seq = next++;
            used = seq;
            return seq;
        }

        @Override
        public CompletionStage<Long> publish(Frame frame) {
            long prev = used;
            long seq = number();
            byte[] op = NONE;
            byte[] arg = NONE;
            if (frame.status() == Status.RESPONDING) {
                op = RESET;
                arg = bytes((frame.messageId() == null ? "" : frame.messageId()) + "\n");
            } else if (frame.status() == Status.IN_PROGRESS) {
                op = APPEND;
                arg = bytes(frame.delta() == null ? "" : JsonText.of(frame.delta()).escaped());
            }
            boolean answers = frame.status() == Status.COMPLETED && frame.messageId() != null;
            NumberedFrame numbered = NumberedFrame.of(seq, frame);
            return send(numbered, prev, numbered.compactAfterSeq(), op, arg,
                    answers ? bytes(AnsweredMessages.key(prefix, channel, frame.messageId())) : NONE,
                    frame.status().terminal());
        }

        @Override
        public CompletionStage<Long> publishAgain(String jsonAfterSeq) {
            long prev = used;
            long seq = number();
            return send(NumberedFrame.heard(channel, "{\"seq\":" + seq + jsonAfterSeq), prev, jsonAfterSeq, NONE, NONE,
                    NONE, true);
        }

        private CompletionStage<Long> send(NumberedFrame frame, long prev, String logJson, byte[] op, byte[] arg,
                                           byte[] answeredKey, boolean terminal) {
            CompletableFuture<Long> logged = new CompletableFuture<>();
            if (terminal) { // clients here see a message end only once it ended for good: it is not answered again
                logged.thenRun(() -> deliverHere(frame));
            } else {
                if (relay == null) {
                    log.sending(frame); // before clients here see it: a resume in between finds it
                }
                deliverHere(frame);
            }
            byte[][] args = {bytes(Long.toString(frame.seq())), bytes(Long.toString(prev)), bytes(logJson), op, arg,
                    topic, answeredKey};
            Queued queued = new Queued(frame, logKey, textKey, args, logged);
            if (!sender.offer(queued)) {
                failed(queued, new RedisException("the frame publisher is closed"));
            } else if (terminal) {
                sender.flush();
            }
            if (relay == null) {
                return logged;
            }
            if (terminal) {
                return logged.thenCompose(seq -> relay.send(channel, frame.json(false)).thenApply(sent -> seq));
            }
            CompletionStage<Void> relayed = relay.send(channel, frame.json(false));
            return logged.thenCombine(relayed, (seq, ignored) -> seq);
        }

        private void deliverHere(NumberedFrame frame) {
            try {
                local.deliver(frame);
            } catch (RuntimeException e) { // the answer goes on for every other instance's clients
                LOG.log(Level.WARNING, "Could not hand frame " + frame.seq() + " of channel " + channel
                        + " to this instance's clients", e);
            }
        }

        /** Gives back the numbers not used, so the channel's next turn follows on; best effort. */
        @Override
        public void close() {
            try {
                giveBack.call(new byte[][] {seqKey}, bytes(Long.toString(top)), bytes(Long.toString(used)));
            } catch (RuntimeException e) {
                LOG.fine(() -> "Could not give back the unused seqs of channel " + channel + ": " + e);
            }
        }
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
        byte[][] keys = new byte[2 * batch.size()][];
        byte[][] args = new byte[3 + ARGS_PER_FRAME * batch.size()][];
        args[0] = logSeconds;
        args[1] = maxFrames;
        args[2] = dedupSeconds;
        for (int i = 0; i < batch.size(); i++) {
            Queued frame = batch.get(i);
            keys[2 * i] = frame.logKey();
            keys[2 * i + 1] = frame.textKey();
            System.arraycopy(frame.args(), 0, args, 3 + ARGS_PER_FRAME * i, ARGS_PER_FRAME);
        }
        CompletionStage<List<Object>> done;
        try {
            done = write.sendWhole(keys, args);
        } catch (RuntimeException | Error e) { // the sender must survive anything, or every answer would hang
            done = CompletableFuture.failedFuture(e);
        }
        return done.whenComplete((values, error) -> {
            for (int i = 0; i < batch.size(); i++) {
                Queued frame = batch.get(i);
                try {
                    if (error != null) {
                        failed(frame, error);
                    } else if (values.get(i) instanceof Long one && one == 1L) {
                        log.sent(frame.frame());
                        meters.framesSent().increment();
                        frame.logged().complete(frame.frame().seq());
                    } else {
                        failed(frame, new RedisException("frame " + frame.frame().seq() + " of channel "
                                + frame.frame().channel() + " could not be logged: its log has later frames (another"
                                + " instance numbers the channel), or one of its keys holds another type"));
                    }
                } catch (RuntimeException unexpected) {
                    frame.logged().completeExceptionally(unexpected);
                }
            }
        });
    }

    private void failed(Queued frame, Throwable error) {
        log.sent(frame.frame());
        frame.logged().completeExceptionally(error);
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
