package io.assistantstream.frames;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

/**
 * Every channel's recent frames, for clients that come back: the log in Redis, a Redis Stream per
 * channel ({@code {prefix}log:{channel}}) whose entry ids are the frames' seqs, written by the
 * {@link RedisFramePublisher}, and, here, the frames this instance answered that Redis has not
 * logged yet. A {@link #read} joins the two, so a client resuming on the instance that answers sees
 * the frames it already sent to others, and one resuming anywhere else sees what Redis logged.
 *
 * <p>Beside the log, {@code {prefix}text:{channel}} keeps the text of the channel's latest answer
 * (its message id, a newline, the JSON-escaped text), appended to with each delta: the log keeps an
 * {@code in_progress} frame without the answer so far, and a replay rebuilds it ({@link Replay}).
 *
 * <p>Whether the log reaches back far enough is the stream's own record of the newest entry it
 * deleted: frames are trimmed by deleting the oldest entry, and a log created anew (the old one
 * expired) records everything before its first frame as deleted.
 */
public final class FrameLog {
    /**
     * KEYS: log, text, seq counter; ARGV[1]: since. Returns {1 when no frame after since was trimmed
     * or expired, 0 when some were, 2 when there is no log and since is behind the counter (which a
     * turn in progress holds ahead); the channel's latest seq Redis knows; the entries after since (all of them
     * when since is ahead) as id, JSON, id, JSON, ...; the answer text or false}.
     */
    private static final String READ = """
            local since = tonumber(ARGV[1])
            local latest = tonumber(redis.call('GET', KEYS[3]) or '0')
            local recovered = 0
            local flat = {}
            if redis.call('EXISTS', KEYS[1]) == 1 then
              local info = redis.call('XINFO', 'STREAM', KEYS[1])
              local deleted, last = 0, 0
              for i = 1, #info, 2 do
                if info[i] == 'max-deleted-entry-id' then deleted = tonumber(string.match(info[i + 1], '^%d+')) end
                if info[i] == 'last-generated-id' then last = tonumber(string.match(info[i + 1], '^%d+')) end
              end
              if last > latest then latest = last end
              if deleted <= since then recovered = 1 end
              local from = '-'
              if since > 0 and since <= latest then from = '(' .. since .. '-0' end
              for _, entry in ipairs(redis.call('XRANGE', KEYS[1], from, '+')) do
                flat[#flat + 1] = string.match(entry[1], '^%d+')
                flat[#flat + 1] = entry[2][2]
              end
            elseif since >= latest then
              recovered = 1
            else
              recovered = 2
            end
            return {recovered, latest, flat, redis.call('GET', KEYS[2])}
            """;

    /** What a read found: whether the log reached back to {@code since}, and the frames after it. */
    public record Read(boolean recovered, List<NumberedFrame> frames, long latest) {
    }

    private final KeySpace keys;
    private final RedisConnection<String, String> connection;
    private final LuaScript<String, String, List<Object>> read;
    /** Per channel, the frames answered here that Redis has not logged yet, in seq order. */
    private final Map<String, ArrayDeque<NumberedFrame>> unlogged = new ConcurrentHashMap<>();

    /** Reads through {@code connection}; null for an instance that only writes (no clients of its own). */
    public FrameLog(RedisConnection<String, String> connection, KeySpace keys) {
        this.keys = keys;
        this.connection = connection;
        this.read = connection == null ? null : LuaScript.returningList(connection, READ);
    }

    public static String logKey(KeySpace keys, String channel) {
        return keys.of("log:", channel);
    }

    public static String textKey(KeySpace keys, String channel) {
        return keys.of("text:", channel);
    }

    public static String seqKey(KeySpace keys, String channel) {
        return keys.of("seq:", channel);
    }

    KeySpace keys() {
        return keys;
    }

    /** A frame answered here is on its way to Redis. */
    void sending(NumberedFrame frame) {
        unlogged.compute(frame.channel(), (channel, frames) -> {
            ArrayDeque<NumberedFrame> queue = frames == null ? new ArrayDeque<>() : frames;
            queue.add(frame);
            return queue;
        });
    }

    /** Redis logged the frame (or failed to, for good): it is no longer kept here. */
    void sent(NumberedFrame frame) {
        unlogged.computeIfPresent(frame.channel(), (channel, frames) -> {
            frames.removeIf(waiting -> waiting.seq() <= frame.seq());
            return frames.isEmpty() ? null : frames;
        });
    }

    /** The frames of {@code channel} answered here and not logged yet. */
    List<NumberedFrame> unlogged(String channel) {
        List<NumberedFrame> copy = new ArrayList<>();
        unlogged.computeIfPresent(channel, (c, frames) -> {
            copy.addAll(frames);
            return frames;
        });
        return copy;
    }

    /** The seq of the last frame logged for {@code channel}; 0 when it has none. Waits for Redis. */
    public long latest(String channel) {
        List<StreamMessage<String, String>> last = connection.sync().xrevrange(logKey(keys, channel),
                Range.create("-", "+"), Limit.create(0, 1));
        if (last.isEmpty()) {
            return 0;
        }
        String id = last.getFirst().getId();
        return Long.parseLong(id.substring(0, id.indexOf('-')));
    }

    /**
     * The frames of {@code channel} after {@code since} (0: all the log holds), as a resuming client
     * gets them ({@link Replay}), coalesced or each one. {@code recovered} is false when frames after {@code since} were
     * trimmed or expired, or when {@code since} is ahead of the channel (its numbers were lost with
     * Redis' data): then the frames are all the log holds.
     */
    public CompletionStage<Read> read(String channel, long since, boolean coalesce) {
        List<NumberedFrame> here = unlogged(channel); // before the read: a frame leaves only once Redis has it
        return read.callAsync(new String[] {logKey(keys, channel), textKey(keys, channel), seqKey(keys, channel)},
                Long.toString(since)).thenApply(reply -> {
                    long trimmed = (Long) reply.get(0);
                    // No log yet while a turn here numbers on: nothing is lost if this instance's
                    // unlogged frames follow on from since (a turn's frames follow the last one's).
                    boolean kept = trimmed == 1L
                            || trimmed == 2L && !here.isEmpty() && since >= here.getFirst().seq() - 1;
                    long latest = (Long) reply.get(1);
                    for (NumberedFrame frame : here) {
                        latest = Math.max(latest, frame.seq());
                    }
                    boolean ahead = since > latest;
                    List<?> flat = (List<?>) reply.get(2);
                    List<NumberedFrame> logged = new ArrayList<>(flat.size() / 2);
                    for (int i = 0; i + 1 < flat.size(); i += 2) {
                        String seq = (String) flat.get(i);
                        logged.add(NumberedFrame.of(Long.parseLong(seq),
                                NumberedFrame.parse("{\"seq\":" + seq + flat.get(i + 1))));
                    }
                    String text = (String) reply.get(3);
                    int newline = text == null ? -1 : text.indexOf('\n');
                    return new Read(kept && !ahead, Replay.of(logged, newline < 0 ? null : text.substring(0, newline),
                            newline < 0 ? null : text.substring(newline + 1), here, ahead ? 0 : since, coalesce), latest);
                });
    }
}
