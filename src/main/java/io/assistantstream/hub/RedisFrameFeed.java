package io.assistantstream.hub;

import java.util.function.BiConsumer;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import io.assistantstream.frames.RedisFramePublisher;

/**
 * The frames of every instance, as Redis pub/sub carries them on {@code {prefix}frames:{channel}}:
 * SUBSCRIBE waits for Redis' confirmation; lettuce subscribes again by itself after a reconnect.
 */
public final class RedisFrameFeed implements FrameFeed {
    private final StatefulRedisPubSubConnection<String, String> pubSub;
    private final String prefix;

    /** Listens on {@code pubSub}, a connection of its own, for the topics under {@code prefix}. */
    public RedisFrameFeed(StatefulRedisPubSubConnection<String, String> pubSub, String prefix) {
        this.pubSub = pubSub;
        this.prefix = prefix;
    }

    @Override
    public void listen(BiConsumer<String, String> frames) {
        String topicPrefix = RedisFramePublisher.topic(prefix, "");
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String topic, String frame) {
                frames.accept(topic.substring(topicPrefix.length()), frame);
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
    public void close() {
        pubSub.close();
    }
}
