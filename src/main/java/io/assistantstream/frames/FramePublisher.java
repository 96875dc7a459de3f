package io.assistantstream.frames;

/**
 * Sends frames to every subscriber of their channel, on any instance. Implementations number the
 * frames of a channel with a strictly increasing {@code seq}.
 */
public interface FramePublisher {
    /**
     * Publishes one frame; returns once it is handed to the fan-out (not once clients have it).
     *
     * @return the frame's seq
     */
    long publish(Frame frame);
}
