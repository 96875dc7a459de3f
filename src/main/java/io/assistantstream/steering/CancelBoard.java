package io.assistantstream.steering;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.assistantstream.answer.Cancellation;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.redis.Topics;

/**
 * Which messages are in flight on any instance, and their cancels. A message is in flight from the
 * moment its delivery takes its place in its channel's line until it is settled:
 * {@code {prefix}inflight:{channel}} is a hash of its message ids. A cancel of a message in flight
 * marks it ({@code {prefix}cancel:{len}:{channel}:{message_id}}, read when its turn comes) and is
 * published on {@code {prefix}cancels}, which every instance hears: the one answering it stops the
 * answer at once. A cancel of a message not in flight (unknown, or finished) is refused: the caller
 * says {@code not_running}.
 *
 * <p>The mark outlives a redelivery (it expires with the in-flight record), so a message cancelled
 * while its instance died is cancelled on the next one too, without a model call. A cancel published
 * while this instance's pub/sub connection was down is not heard; so each time the subscription comes
 * back, the marks of the answers running here are read, and a marked one is stopped.
 */
public final class CancelBoard implements CancelRequests, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CancelBoard.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * KEYS: in-flight hash; ARGV: message id, now (ms), seconds it lasts. Returns the other messages in
     * flight on the channel; an entry older than the longest a message may be in flight (its instance
     * died before settling it) is dropped instead: it would keep the channel busy for good.
     */
    private static final String ENTER = """
            local now, lasts = tonumber(ARGV[2]), tonumber(ARGV[3]) * 1000
            local others = {}
            local entries = redis.call('HGETALL', KEYS[1])
            for i = 1, #entries, 2 do
              if entries[i] ~= ARGV[1] then
                if tonumber(entries[i + 1]) < now - lasts then
                  redis.call('HDEL', KEYS[1], entries[i])
                else
                  others[#others + 1] = entries[i]
                end
              end
            end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            return others
            """;
    /** KEYS: in-flight hash, cancel mark; ARGV: message id, seconds the mark lasts, topic, payload. 1: cancelling. */
    private static final String CANCEL = """
            if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
              return 0
            end
            redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
            redis.call('PUBLISH', ARGV[3], ARGV[4])
            return 1
            """;

    private final RedisConnection<String, String> redis;
    private final Topics topics;
    private final KeySpace keys;
    private final String topic;
    private final String seconds;
    private final Clock clock;
    private final LuaScript<String, String, List<Object>> enter;
    private final LuaScript<String, String, Long> cancel;
    /** The answers in flight here that a cancel can stop, by channel and message id. */
    private final Map<List<String>, Cancellation> here = new ConcurrentHashMap<>();
    private final AtomicBoolean subscribedOnce = new AtomicBoolean();
    private volatile boolean closed;
    private static final java.time.Duration MISSED_CANCELS_RETRY = java.time.Duration.ofSeconds(1);

    /**
     * @param redis   commands
     * @param topics  pub/sub every node carries, of its own, for the cancels of every instance
     * @param inFlightFor how long a message may be in flight at most (its line, its answer): the
     *                    records' expiry, should an instance die before it settles
     */
    public CancelBoard(RedisConnection<String, String> redis,
                       Topics topics, KeySpace keys, Duration inFlightFor, Clock clock) {
        this.redis = redis;
        this.topics = topics;
        this.keys = keys;
        this.topic = keys.global("cancels");
        this.seconds = Long.toString(Math.max(1, inFlightFor.toSeconds()));
        this.clock = clock;
        this.enter = LuaScript.returningList(redis, ENTER);
        this.cancel = LuaScript.returningNumber(redis, CANCEL);
        topics.listen(new Topics.Listener() {
            @Override
            public void message(String channel, String message) {
                if (topic.equals(channel)) {
                    heard(message);
                }
            }

            @Override
            public void subscribed(String channel) {
                if (topic.equals(channel) && !subscribedOnce.compareAndSet(false, true)) { // lettuce re-subscribed
                    Thread.ofVirtual().name("cancels-missed").start(CancelBoard.this::readMissedCancels);
                }
            }
        });
        topics.subscribe(topic);
    }

    static String inFlightKey(KeySpace keys, String channel) {
        return keys.of("inflight:", channel);
    }

    static String cancelKey(KeySpace keys, String channel, String messageId) {
        return keys.of("cancel:", channel, messageId);
    }

    /**
     * A message took its place in its channel's line (on this instance).
     *
     * @return the channel's other messages in flight (waiting or answered), on any instance
     */
    public List<String> entered(String channel, String messageId) {
        return enter.call(new String[] {inFlightKey(keys, channel)}, messageId, Long.toString(clock.millis()),
                seconds).stream().map(String::valueOf).toList();
    }

    /** The message was settled: it is no longer in flight, and its mark goes. Best effort: both expire. */
    public void left(String channel, String messageId) {
        redis.async().hdel(inFlightKey(keys, channel), messageId);
        redis.async().del(cancelKey(keys, channel, messageId));
    }

    /** Whether the message was cancelled (checked when its turn comes, after {@link #watch}). */
    public boolean cancelled(String channel, String messageId) {
        return redis.sync().exists(cancelKey(keys, channel, messageId)) > 0;
    }

    @Override
    public boolean cancel(String channel, String messageId) {
        String payload = JSON.createArrayNode().add(channel).add(messageId).toString();
        return cancel.call(new String[] {inFlightKey(keys, channel), cancelKey(keys, channel, messageId)},
                messageId, seconds, topic, payload) == 1L;
    }

    /**
     * This instance answers the message now: a cancel from anywhere reaches {@code cancellation}
     * until the returned registration is closed. Register before checking {@link #cancelled}, so
     * no cancel falls between the two.
     */
    public Watch watch(String channel, String messageId, Cancellation cancellation) {
        List<String> key = List.of(channel, messageId);
        here.put(key, cancellation);
        return () -> here.remove(key, cancellation);
    }

    /** An answer watched for cancels, until closed. */
    public interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    private void heard(String payload) {
        try {
            JsonNode ids = JSON.readTree(payload);
            Cancellation answer = here.get(List.of(ids.path(0).asText(), ids.path(1).asText()));
            if (answer != null) {
                answer.request();
            }
        } catch (JsonProcessingException e) {
            LOG.warning("Ignored a cancel that is not a [channel, message_id] pair");
        }
    }

    /**
     * After a reconnect: stops each answer running here whose cancel was published while nobody here
     * listened. Marks that cannot be read yet (the commands connection may still be reconnecting) are
     * read again, every second, until they can be or their answer ended.
     */
    private void readMissedCancels() {
        Map<List<String>, Cancellation> unread = new java.util.HashMap<>(here);
        while (!unread.isEmpty() && !closed) {
            unread.entrySet().removeIf(entry -> {
                List<String> key = entry.getKey();
                if (here.get(key) != entry.getValue()) {
                    return true; // that answer ended
                }
                try {
                    if (cancelled(key.get(0), key.get(1))) {
                        LOG.info(() -> "Message " + key.get(1) + " of channel " + key.get(0) + " was cancelled while"
                                + " this instance's cancels subscription was down: it stops now");
                        entry.getValue().request();
                    }
                    return true;
                } catch (RuntimeException e) {
                    LOG.fine(() -> "Could not read the cancel mark of message " + key.get(1) + " yet: " + e);
                    return false;
                }
            });
            if (!unread.isEmpty()) {
                try {
                    Thread.sleep(MISSED_CANCELS_RETRY);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        topics.close();
    }
}
