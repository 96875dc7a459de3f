package io.assistantstream.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/**
 * Classic pub/sub ({@code SUBSCRIBE}) on a connection of its own. lettuce subscribes again by itself
 * after a reconnect. On a Redis Cluster a classic message reaches every node, so this also serves
 * topics every instance hears whatever the key space (the cancels); the cluster connection moves to
 * another node when its node dies.
 */
public final class ClassicTopics implements Topics {
    private final StatefulRedisPubSubConnection<String, String> pubSub;

    public ClassicTopics(StatefulRedisPubSubConnection<String, String> pubSub) {
        this.pubSub = pubSub;
    }

    @Override
    public void listen(Listener listener) {
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String topic, String message) {
                listener.message(topic, message);
            }

            @Override
            public void subscribed(String topic, long count) {
                listener.subscribed(topic);
            }
        });
    }

    @Override
    public void subscribe(String topic) {
        pubSub.sync().subscribe(topic);
    }

    @Override
    public void unsubscribe(String topic) {
        pubSub.sync().unsubscribe(topic);
    }

    @Override
    public void close() {
        pubSub.close();
    }
}
