package io.assistantstream.frames;

import io.assistantstream.lease.Fence;

/**
 * Sends frames to every subscriber of their channel, on any instance, numbered with a strictly
 * increasing per-channel {@code seq}.
 */
public interface FramePublisher {
    /**
     * Opens a turn at writing {@code channel}'s frames, unfenced: for a caller that holds the
     * channel some other way (a test, a tool). Only the holder of the channel's lease opens one, so
     * the turns of a channel follow each other, and so do their numbers.
     *
     * @throws io.lettuce.core.RedisException when the turn's numbers cannot be reserved
     */
    ChannelTurn turn(String channel);

    /**
     * Opens a turn at writing {@code channel}'s frames under the lease that {@code fence} proves:
     * once the lease is no longer the fence's (lost as its holder knows, or taken by another ticket
     * as Redis knows), the turn reserves no more numbers and its frames fail, as those of a turn
     * whose channel another instance numbers. This default ignores the fence: it suits only a
     * publisher that writes nowhere another instance writes (one in memory).
     *
     * @throws io.lettuce.core.RedisException when the turn's numbers cannot be reserved, or the lease is not the fence's
     */
    default ChannelTurn turn(String channel, Fence fence) {
        return turn(channel);
    }
}
