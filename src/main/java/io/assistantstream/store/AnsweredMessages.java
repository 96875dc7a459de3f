package io.assistantstream.store;

import java.time.Duration;
import java.util.Optional;

import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * The messages answered lately, each with its terminal frame ({@code completed} or {@code error},
 * as the JSON after its seq), at {@code {prefix}answered:{channel}:{message_id}} for the dedup
 * window. RabbitMQ delivers at least once: a message whose answer ended but whose acknowledgement
 * was lost (an instance died in between, a connection broke) comes again, and must not be
 * answered, nor its model called, twice.
 */
public final class AnsweredMessages {
    private final StatefulRedisConnection<String, String> redis;
    private final String prefix;
    private final Duration window;

    public AnsweredMessages(StatefulRedisConnection<String, String> redis, String prefix, Duration window) {
        this.redis = redis;
        this.prefix = prefix;
        this.window = window;
    }

    /** The terminal frame of the message's answer, if it was answered within the window. */
    public Optional<String> terminalFrame(String channel, String messageId) {
        return Optional.ofNullable(redis.sync().get(key(channel, messageId)));
    }

    /** Remembers how the message's answer ended. */
    public void record(String channel, String messageId, String terminalFrame) {
        redis.sync().set(key(channel, messageId), terminalFrame, SetArgs.Builder.ex(window));
    }

    private String key(String channel, String messageId) {
        // the channel's length first, so no channel/message id pair can collide with another
        return prefix + "answered:" + channel.length() + ":" + channel + ":" + messageId;
    }
}
