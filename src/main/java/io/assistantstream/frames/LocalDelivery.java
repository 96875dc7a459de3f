package io.assistantstream.frames;

/**
 * This instance's subscribers, as the frames answered here reach them: directly, in order, before
 * Redis has them (a terminal frame once Redis logged it). Called on the answering thread, and for a
 * terminal frame on the thread that hears Redis' reply, so it must never block.
 */
@FunctionalInterface
public interface LocalDelivery {
    /** Nobody here: relay mode, or a command-line tool. */
    LocalDelivery NONE = frame -> { };

    void deliver(NumberedFrame frame);
}
