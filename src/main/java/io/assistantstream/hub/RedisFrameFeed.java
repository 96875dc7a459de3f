package io.assistantstream.hub;

import java.util.concurrent.CompletionStage;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.RedisFramePublisher;

/**
 * The frames of every other instance, as Redis pub/sub carries them on {@code {prefix}frames:{channel}},
 * and the frame log. SUBSCRIBE waits for Redis' confirmation; lettuce subscribes again by itself
 * after a reconnect. Every confirmation is reported {@link Listener#resumed resumed}: the first one
 * of a channel finds nothing to catch up on, and those after a reconnect make the hub fill what was
 * published while the connection was away.
 */
public final class RedisFrameFeed implements FrameFeed {
    private final StatefulRedisPubSubConnection<String, String> pubSub;
    private final String prefix;
    private final FrameLog log;

    /** Listens on {@code pubSub}, a connection of its own, for the topics under {@code prefix}. */
    public RedisFrameFeed(StatefulRedisPubSubConnection<String, String> pubSub, String prefix, FrameLog log) {
        this.pubSub = pubSub;
        this.prefix = prefix;
        this.log = log;
    }

    @Override
    public void listen(Listener listener) {
        String topicPrefix = RedisFramePublisher.topic(prefix, "");
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String topic, String frame) {
                listener.frame(topic.substring(topicPrefix.length()), frame);
            }

            @Override
            public void subscribed(String topic, long count) {
                if (topic.startsWith(topicPrefix)) {
                    listener.resumed(topic.substring(topicPrefix.length()));
                }
            }
        });
    }

    @Override
    public void subscribe(String channel) {
        pubSub.sync().subscribe(RedisFramePublisher.topic(prefix, channel));
    }

    @Override
    public void unsubscribe(String channel) {
        pubSub.sync().unsubscribe(RedisFramePublisher.topic(prefix, channel));
    }

    @Override
    public long latest(String channel) {
        return log.latest(channel);
    }

    @Override
    public CompletionStage<FrameLog.Read> read(String channel, long since, boolean coalesce) {
        return log.read(channel, since, coalesce);
    }

    @Override
    public void close() {
        pubSub.close();
    }
}
