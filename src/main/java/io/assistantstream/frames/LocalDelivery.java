package io.assistantstream.frames;

/**
 * This instance's subscribers, as the frames answered here reach them: directly, in order, before
 * Redis has them. Called on the answering thread, so it must never block.
 */
@FunctionalInterface
public interface LocalDelivery {
    /** Nobody here: relay mode, or a command-line tool. */
    LocalDelivery NONE = frame -> { };

    void deliver(NumberedFrame frame);
}
