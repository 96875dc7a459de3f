package io.assistantstream.store;

import java.time.Duration;
import java.util.Optional;

import io.lettuce.core.SetArgs;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;


/**
 * The messages answered lately, each with its {@code completed} frame (as the JSON after its seq,
 * so the whole answer), at {@code {prefix}answered:{length of channel}:{channel}:{message_id}} for
 * the dedup window. RabbitMQ delivers at least once: a message whose answer completed but whose
 * acknowledgement was lost (an instance died in between, a connection broke) comes again, and must
 * not be answered, nor its model called, twice. The record is written by the frame publisher, in the
 * same Redis call that publishes the {@code completed} frame. A failed answer is not recorded: the
 * same message sent again (a dead letter replayed once the cause is fixed) is answered afresh.
 *
 * <p>A message refused because its channel was busy (multitask policy {@code reject}) is recorded
 * too, with its {@code channel_busy} error frame: it ended, and a redelivery ends it the same way
 * rather than answering it once the channel is free.
 */
public final class AnsweredMessages {
    private final RedisConnection<String, String> redis;
    private final KeySpace keys;
    private final Duration window;

    /** @param window how long an outcome recorded here is kept ({@code DEDUP_WINDOW_S}) */
    public AnsweredMessages(RedisConnection<String, String> redis, KeySpace keys, Duration window) {
        this.redis = redis;
        this.keys = keys;
        this.window = window;
    }

    /**
     * Records the message as ended with {@code frame} (its JSON after the seq) for the window, unless it
     * has an outcome already (which stands); returns whether this one was recorded.
     */
    public boolean recordFirst(String channel, String messageId, String frame) {
        return "OK".equals(redis.sync().set(key(keys, channel, messageId), frame, SetArgs.Builder.nx().ex(window)));
    }

    /** The {@code completed} frame of the message's answer, if it was answered within the window. */
    public Optional<String> completedFrame(String channel, String messageId) {
        return Optional.ofNullable(redis.sync().get(key(keys, channel, messageId)));
    }

    /** Where the outcome of a message is kept; the channel's length first, so no two pairs can collide. */
    public static String key(KeySpace keys, String channel, String messageId) {
        return keys.of("answered:", channel, messageId);
    }
}
