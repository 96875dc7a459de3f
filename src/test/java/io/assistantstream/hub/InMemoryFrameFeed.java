package io.assistantstream.hub;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/** An in-memory {@link FrameFeed}: knows which channels are heard, and lets a test publish a frame. */
final class InMemoryFrameFeed implements FrameFeed {
    private final Set<String> heard = ConcurrentHashMap.newKeySet();
    private volatile BiConsumer<String, String> frames = (channel, frame) -> { };

    @Override
    public void listen(BiConsumer<String, String> frames) {
        this.frames = frames;
    }

    @Override
    public void subscribe(String channel) {
        heard.add(channel);
    }

    @Override
    public void unsubscribe(String channel) {
        heard.remove(channel);
    }

    @Override
    public void close() {
        heard.clear();
    }

    /** A frame published on {@code channel}: heard only when the channel is subscribed, as pub/sub would. */
    void publish(String channel, String frame) {
        if (heard.contains(channel)) {
            frames.accept(channel, frame);
        }
    }

    Set<String> heard() {
        return Set.copyOf(heard);
    }
}
