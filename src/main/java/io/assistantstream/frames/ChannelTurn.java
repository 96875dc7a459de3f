package io.assistantstream.frames;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One holder's turn at writing a channel's frames, from one thread: it numbers them in order, hands
 * them to this instance's subscribers at once and to every other instance through Redis. Closing it
 * gives back the numbers it reserved and did not use, so the next turn's frames follow on. A turn
 * opened under a lease's fence stops once the lease is lost: every frame it is given after that fails
 * at once, and reaches no one.
 */
public interface ChannelTurn extends AutoCloseable {
    /**
     * Sends one frame without waiting.
     *
     * @return completes with the frame's seq once the frame is logged in Redis and on its way to every
     *         instance (not once clients have it); fails when it could not be
     */
    CompletionStage<Long> publish(Frame frame);

    /** Sends a frame kept as its JSON after the seq (a redelivered message's terminal frame), with a new seq. */
    CompletionStage<Long> publishAgain(String jsonAfterSeq);

    /**
     * The last terminal frame ({@code completed} or {@code error}) this turn published, whole, as clients
     * get it (its {@code seq} included), once it is logged; empty if the turn published none, or its
     * last one failed or is not logged yet. What the message's producer is replied.
     */
    Optional<String> terminalFrame();

    /** Ends the turn; frames already published still go out. */
    @Override
    void close();
}
