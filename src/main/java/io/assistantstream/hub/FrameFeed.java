package io.assistantstream.hub;

import java.util.function.BiConsumer;

/**
 * Where the hub hears the frames of the channels its clients want: Redis pub/sub in the service
 * ({@link RedisFrameFeed}); in memory in tests. A subscribe returns once the feed delivers the
 * channel's frames, so none published after it can be missed.
 */
public interface FrameFeed extends AutoCloseable {
    /** Hands every frame heard to {@code frames} as (channel, frame JSON); called once, before any subscribe. */
    void listen(BiConsumer<String, String> frames);

    /** Starts hearing {@code channel}; returns once that is in force. */
    void subscribe(String channel);

    /** Stops hearing {@code channel}. */
    void unsubscribe(String channel);

    @Override
    void close();
}
