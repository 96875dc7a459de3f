package io.assistantstream.frames;

import java.util.concurrent.CompletionStage;

/**
 * Sends frames to every subscriber of their channel, on any instance. Implementations number the
 * frames of a channel with a strictly increasing {@code seq}.
 */
public interface FramePublisher {
    /**
     * Sends one frame without waiting. Frames published from one thread go out in that order.
     *
     * @return completes with the frame's seq once the fan-out has it (not once clients have it)
     */
    CompletionStage<Long> publish(Frame frame);

    /** Sends a frame of {@code channel} again (a redelivered message's terminal frame), with a new seq. */
    CompletionStage<Long> publishAgain(String channel, String jsonAfterSeq);
}
