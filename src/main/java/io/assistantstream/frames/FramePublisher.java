package io.assistantstream.frames;

/**
 * Sends frames to every subscriber of their channel, on any instance, numbered with a strictly
 * increasing per-channel {@code seq}.
 */
public interface FramePublisher {
    /**
     * Opens a turn at writing {@code channel}'s frames. Only the holder of the channel's lease opens
     * one, so the turns of a channel follow each other, and so do their numbers.
     *
     * @throws io.lettuce.core.RedisException when the turn's numbers cannot be reserved
     */
    ChannelTurn turn(String channel);
}
