package io.assistantstream.frames;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.SlotHash;

import io.assistantstream.lease.Fence;
import io.assistantstream.observe.Meters;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;
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
 * <p>A turn opened under a lease's {@link Fence} writes only while that lease is its own. The
 * holder's own knowledge stops it first: once it knows its lease lost, the turn numbers, hands on and
 * queues nothing more. Redis has the last word, as the holder may be paused or cut off and not know
 * yet: the script that reserves a block and the one that writes frames check the fence (once per turn
 * and call), and refuse a turn whose ticket is no longer first in the channel's line. So frames queued
 * or in flight before the lease lapsed never reach the log after another instance took the channel.
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
    /** In a cluster, how long a batch's calls hold their pipeline place at most (see {@link #sendPipelined}). */
    static final Duration SLOW_MASTER = Duration.ofMillis(100);
    /** Seqs a turn reserves at a time; a turn that needs more reserves the next block. */
    static final int BLOCK = 1000;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    private static final int ARGS_PER_FRAME = 8;
    private static final int ARGS_PER_FENCE = 3;
    /**
     * KEYS: the first frame's log (which places the call: on a cluster, the master of its slot).
     * ARGV[1]: log retention in seconds; ARGV[2]: most
     * frames a log keeps; ARGV[3]: how long a completed message is remembered as answered; ARGV[4]: how
     * many lease fences follow, each as its line, its token and its liveness key (see {@link Fence});
     * then per frame: seq; the seq before it in its turn (0: none); its JSON after the seq, compact (an
     * in_progress frame without message); what it does to the answer text ('r' starts it with the
     * message id and a newline, 'a' appends the escaped delta, '' nothing) and the argument for that;
     * its pub/sub topic ('' in relay mode); the key recording its message as answered ('' unless
     * completed); the number of its turn's fence among those of the call ('0': unfenced); and after
     * all frames, per frame its log and its answer-text key. The keys go in ARGV so that one call may
     * carry the frames of channels in different slots of one cluster master (the script's
     * {@code allow-cross-slot-keys} flag; a call declaring keys of two slots is refused outright):
     * on a cluster every channel has a slot of its own, and a call per slot cost Redis three times
     * the CPU per frame. On one Redis the flag changes nothing.
     *
     * <p>Each fence is checked once per call, however many frames of its turn the call carries: a
     * frame whose turn's ticket no longer holds the channel's lease (another ticket is first in the
     * line, or the ticket's liveness key expired) is not written, and answers 2. The answering
     * instance may have been paused, or cut off from Redis, and not know yet; here, in the call that
     * would write the frame, it cannot be wrong.
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
            #!lua flags=allow-cross-slot-keys
            local seconds, most, dedup, fences = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
            local done, expiring, checked, holds = {}, {}, {}, {}
            for f = 1, fences do
              local at = 4 + 3 * (f - 1)
              holds[f] = redis.call('LINDEX', ARGV[at + 1], 0) == ARGV[at + 2] and redis.call('EXISTS', ARGV[at + 3]) == 1
            end
            local first = 4 + 3 * fences
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
            local frames = (#ARGV - first) / 10
            local keys = first + 8 * frames
            for i = 1, frames do
              local a = first + 8 * (i - 1)
              local fence = tonumber(ARGV[a + 8])
              if fence > 0 and not holds[fence] then
                done[i] = 2
              else
                local ok, result = pcall(write, ARGV[keys + 2 * i - 1], ARGV[keys + 2 * i], ARGV[a + 1], ARGV[a + 2],
                  ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7])
                done[i] = ok and result or 0
              end
            end
            for key in pairs(expiring) do
              redis.call('EXPIRE', key, seconds)
            end
            return done
            """;
    /**
     * KEYS: the seq counter, the log; ARGV: block size, the counter's expiry, the log's, for a turn's
     * next block the last seq of its block before ('' for its first), and the turn's fence (its line,
     * token and liveness key; '' '' '' for none). Returns the block's last seq; or 0 when the counter
     * moved on since the turn's block before, or -1 when the fence's ticket does not hold the
     * channel's lease: another turn numbers the channel (this one's lease was lost), and this one
     * must stop. A channel without a log gets an empty one that records every seq before the
     * block as deleted: a client resuming before the turn's first frame is logged is told the truth
     * (nothing lost for a new channel; frames lost when an earlier log expired).
     */
    private static final String RESERVE = """
            if ARGV[5] ~= '' and (redis.call('LINDEX', ARGV[5], 0) ~= ARGV[6] or redis.call('EXISTS', ARGV[7]) == 0) then
              return -1
            end
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

    /** A frame on its way to Redis; {@code fence} is its turn's (line, token, liveness key), or null. */
    private record Queued(NumberedFrame frame, byte[] logKey, byte[] textKey, byte[][] args, byte[][] fence,
                          CompletableFuture<Long> logged) {
    }

    /** A turn's terminal frame and its future: done once the frame is out (logged, and with a relay, relayed). */
    private record Terminal(NumberedFrame frame, CompletableFuture<Long> out) {
    }

    private static final byte[] NONE = new byte[0];
    private static final byte[] RESET = bytes("r");
    private static final byte[] APPEND = bytes("a");
    private static final byte[][] UNFENCED = {NONE, NONE, NONE};
    private static final byte[] NO_FENCE = bytes("0");

    private final KeySpace keys;
    private final RelayConnection relay;
    private final FrameLog log;
    private final LocalDelivery local;
    private final Meters meters;
    private final byte[] logSeconds;
    private final byte[] maxFrames;
    private final byte[] dedupSeconds;
    private final byte[] seqExpirySeconds;
    private final RedisConnection<byte[], byte[]> redis;
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
    public RedisFramePublisher(RedisConnection<byte[], byte[]> connection, Duration seqExpiry,
                               Duration dedupWindow, FrameLog log, Retention logSettings, RelayConnection relay,
                               LocalDelivery local, Meters meters) {
        this.keys = log.keys();
        this.log = log;
        this.local = local;
        this.meters = meters;
        this.relay = relay;
        this.logSeconds = bytes(Long.toString(Math.max(1, logSettings.keep().toSeconds())));
        this.maxFrames = bytes(Integer.toString(logSettings.maxFrames()));
        this.dedupSeconds = bytes(Long.toString(dedupWindow.toSeconds()));
        this.seqExpirySeconds = bytes(Long.toString(seqExpiry.toSeconds()));
        this.redis = connection;
        // in a cluster a channel's frames go on sharded pub/sub: its topic shares its slot, its script's node publishes
        this.write = LuaScript.returningList(connection, keys.cluster() ? WRITE.replace("'PUBLISH'", "'SPUBLISH'") : WRITE);
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

    /** The pub/sub channel that carries the frames of {@code channel} (sharded in a cluster, in its slot). */
    public static String topic(KeySpace keys, String channel) {
        return keys.of("frames:", channel);
    }

    @Override
    public ChannelTurn turn(String channel) {
        return new Turn(channel, null);
    }

    @Override
    public ChannelTurn turn(String channel, Fence fence) {
        return new Turn(channel, fence);
    }

    /**
     * One turn: numbers from its reserved block, in the order its one thread publishes. Under a
     * fence, it sends nothing once the holder knows its lease lost, and Redis refuses its frames (and
     * its next block) once the lease is another's.
     */
    private final class Turn implements ChannelTurn {
        private final String channel;
        private final Fence fence;
        /** The fence's line, token and liveness key, as the scripts take them; null when unfenced. */
        private final byte[][] fenceArgs;
        private final byte[] seqKey;
        private final byte[] logKey;
        private final byte[] textKey;
        private final byte[] topic;
        private long next;
        private long top;
        /** The last seq this turn used, or the one before its first block. */
        private long used;
        /** The last terminal frame published, and its future; null before the first. */
        private volatile Terminal lastTerminal;

        Turn(String channel, Fence fence) {
            this.channel = channel;
            this.fence = fence;
            this.fenceArgs = fence == null ? null
                    : new byte[][] {bytes(fence.line()), bytes(fence.token()), bytes(fence.alive())};
            this.seqKey = bytes(FrameLog.seqKey(keys, channel));
            this.logKey = bytes(FrameLog.logKey(keys, channel));
            this.textKey = bytes(FrameLog.textKey(keys, channel));
            this.topic = relay == null ? bytes(topic(keys, channel)) : NONE;
            reserveBlock(NONE);
            used = next - 1;
        }

        /** Reserves the next block; after {@code before}, the last seq of the turn's block before, if any. */
        private void reserveBlock(byte[] before) {
            if (fence != null && fence.lost()) {
                throw leaseLost();
            }
            byte[][] fenced = fenceArgs == null ? UNFENCED : fenceArgs;
            long reserved = reserve.call(new byte[][] {seqKey, logKey}, bytes(Integer.toString(BLOCK)), seqExpirySeconds,
                    logSeconds, before, fenced[0], fenced[1], fenced[2]);
            if (reserved == -1) {
                throw new RedisException("no seqs reserved for channel " + channel + ": this answer's ticket no longer"
                        + " holds the channel's lease (another instance may answer it)");
            }
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

        private RedisException leaseLost() {
            return new RedisException("the lease of channel " + channel + " was lost: this answer's frames go no"
                    + " further (another instance may answer it)");
        }

        @Override
        public CompletionStage<Long> publish(Frame frame) {
            if (fence != null && fence.lost()) {
                return CompletableFuture.failedFuture(leaseLost());
            }
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
            // a cancelled message is over too: a redelivery (its acknowledgement lost) gets its cancelled frame again
            boolean answers = (frame.status() == Status.COMPLETED || frame.status() == Status.CANCELLED)
                    && frame.messageId() != null;
            NumberedFrame numbered = NumberedFrame.of(seq, frame);
            return send(numbered, prev, numbered.compactAfterSeq(), op, arg,
                    answers ? bytes(AnsweredMessages.key(keys, channel, frame.messageId())) : NONE,
                    frame.status().terminal());
        }

        @Override
        public CompletionStage<Long> publishAgain(String jsonAfterSeq) {
            if (fence != null && fence.lost()) {
                return CompletableFuture.failedFuture(leaseLost());
            }
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
            Queued queued = new Queued(frame, logKey, textKey, args, fenceArgs, logged);
            if (!sender.offer(queued)) {
                failed(queued, new RedisException("the frame publisher is closed"));
            } else if (terminal) {
                sender.flush();
            }
            CompletionStage<Long> out;
            if (relay == null) {
                out = logged;
            } else if (terminal) {
                out = logged.thenCompose(seq -> relay.send(channel, frame.json(false)).thenApply(sent -> seq));
            } else {
                CompletionStage<Void> relayed = relay.send(channel, frame.json(false));
                out = logged.thenCombine(relayed, (seq, ignored) -> seq);
            }
            if (terminal) {
                lastTerminal = new Terminal(frame, out.toCompletableFuture());
            }
            return out;
        }

        @Override
        public Optional<String> terminalFrame() {
            Terminal last = lastTerminal;
            return last != null && last.out().isDone() && !last.out().isCompletedExceptionally()
                    ? Optional.of(last.frame().json(false)) : Optional.empty();
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

    /**
     * Sends a batch as one Lua call, holding one of the {@value #IN_FLIGHT} places until it is answered.
     * In a cluster a call may touch one master only: the batch goes as one call per master, sent
     * together, each to its master (a channel's frames keep their order, all in one call); the place
     * is given back once they are all answered, or after {@link #SLOW_MASTER}, whichever comes first.
     */
    private void sendPipelined(List<Queued> batch) {
        if (batch.isEmpty()) { // the queue was emptied by a stop meanwhile
            inFlight.release();
            return;
        }
        if (!keys.cluster()) {
            send(batch).whenComplete((ignored, error) -> inFlight.release());
            return;
        }
        Map<String, List<Queued>> byMaster = new LinkedHashMap<>();
        for (Queued frame : batch) {
            byMaster.computeIfAbsent(redis.masterOf(SlotHash.getSlot(frame.logKey())), master -> new ArrayList<>())
                    .add(frame);
        }
        CompletableFuture<?> answered = CompletableFuture.allOf(byMaster.values().stream()
                .map(frames -> send(frames).toCompletableFuture().exceptionally(error -> null))
                .toArray(CompletableFuture[]::new));
        // a master that hangs (paused, cut off, not yet failed over) must not hold the place, and so every
        // other master's channels, for its command timeout: past a short wait its calls go on outside the limit
        CompletableFuture.anyOf(answered, new CompletableFuture<>().completeOnTimeout(null, SLOW_MASTER.toMillis(),
                TimeUnit.MILLISECONDS)).whenComplete((ignored, error) -> inFlight.release());
    }

    private CompletionStage<List<Object>> send(List<Queued> batch) {
        // each turn's fence goes once into the call, however many of its frames the batch holds
        Map<byte[][], Integer> fences = new IdentityHashMap<>();
        byte[][] fenceOf = new byte[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            byte[][] fence = batch.get(i).fence();
            fenceOf[i] = fence == null ? NO_FENCE : bytes(Integer.toString(fences.computeIfAbsent(fence,
                    f -> fences.size() + 1)));
        }
        int first = 4 + ARGS_PER_FENCE * fences.size();
        byte[][] keys = {batch.getFirst().logKey()};
        int keysAt = first + ARGS_PER_FRAME * batch.size();
        byte[][] args = new byte[keysAt + 2 * batch.size()][];
        args[0] = logSeconds;
        args[1] = maxFrames;
        args[2] = dedupSeconds;
        args[3] = bytes(Integer.toString(fences.size()));
        fences.forEach((fence, number) -> System.arraycopy(fence, 0, args, 4 + ARGS_PER_FENCE * (number - 1),
                ARGS_PER_FENCE));
        for (int i = 0; i < batch.size(); i++) {
            Queued frame = batch.get(i);
            args[keysAt + 2 * i] = frame.logKey();
            args[keysAt + 2 * i + 1] = frame.textKey();
            int at = first + ARGS_PER_FRAME * i;
            System.arraycopy(frame.args(), 0, args, at, ARGS_PER_FRAME - 1);
            args[at + ARGS_PER_FRAME - 1] = fenceOf[i];
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
                    } else if (values.get(i) instanceof Long two && two == 2L) {
                        failed(frame, new RedisException("frame " + frame.frame().seq() + " of channel "
                                + frame.frame().channel() + " was not logged: its answer's ticket no longer holds the"
                                + " channel's lease (another instance may answer it)"));
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
