package io.assistantstream.redis;

/**
 * Redis pub/sub topics the service listens on: classic pub/sub on one Redis ({@link ClassicTopics}),
 * sharded pub/sub on a Redis Cluster ({@link ShardedTopics}). A subscribe returns once Redis
 * confirmed it, so nothing published after it is missed; every confirmation, also those of the
 * subscriptions made again after a reconnect or a failover, is told to the listener, since what was
 * published meanwhile was not heard.
 */
public interface Topics extends AutoCloseable {
    /** What the topics hear. */
    interface Listener {
        /** A message published on {@code topic}. */
        void message(String topic, String message);

        /** Redis confirmed a subscription to {@code topic}: the first one, or one made again. */
        void subscribed(String topic);
    }

    /** Hands what is heard to {@code listener}; called once, before any subscribe. */
    void listen(Listener listener);

    /** Starts hearing {@code topic}; returns once Redis confirmed it, throws if it could not. */
    void subscribe(String topic);

    /** Stops hearing {@code topic}. */
    void unsubscribe(String topic);

    @Override
    void close();
}
