package io.assistantstream.hub;

import java.util.concurrent.CompletionStage;

import io.assistantstream.frames.FrameLog;

/**
 * Where the hub hears the frames other instances answer, for the channels its clients want, and
 * reads a channel's recent frames back: Redis pub/sub and the frame log in the service
 * ({@link RedisFrameFeed}); in memory in tests. A subscribe returns once the feed delivers the
 * channel's frames, so none published after it can be missed.
 */
public interface FrameFeed extends AutoCloseable {
    /** What the feed hears. */
    interface Listener {
        /**
         * A frame of {@code channel}, as Redis carries it: its JSON, which begins with its seq; an
         * {@code in_progress} frame without {@code message}.
         */
        void frame(String channel, String json);

        /** The feed hears {@code channel} again after its connection came back: frames may have been missed. */
        void resumed(String channel);
    }

    /** Hands what it hears to {@code listener}; called once, before any subscribe. */
    void listen(Listener listener);

    /** Starts hearing {@code channel}; returns once that is in force. */
    void subscribe(String channel);

    /** Stops hearing {@code channel}. */
    void unsubscribe(String channel);

    /** The seq of the last frame of {@code channel} logged now; 0 when none is. Waits for the answer. */
    long latest(String channel);

    /**
     * The frames of {@code channel} after {@code since}: coalesced, as one resuming client gets
     * them, or each one, to fill a gap for clients that may have some of them already.
     */
    CompletionStage<FrameLog.Read> read(String channel, long since, boolean coalesce);

    @Override
    void close();
}
