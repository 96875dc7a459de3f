package io.assistantstream.hub;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.logging.Logger;

import io.assistantstream.frames.Frame;
import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.frames.Status;

/**
 * One channel's subscribers on this instance, and the order of the frames they get: each frame once,
 * in seq order, whether it was answered here or heard from Redis (which also sends back this
 * instance's own). A channel's seqs follow on without gaps (each turn gives back the numbers it did
 * not use), so a frame that skips ahead means frames were missed, typically while the pub/sub
 * connection was away: the gap is filled from the frame log before that frame and any later one
 * goes out. A gap the log cannot fill (an instance that died mid-turn leaves unused numbers) costs
 * one read; a read that fails is tried again ({@value #FILL_ATTEMPTS} times in all) while the
 * frames after the gap wait.
 *
 * <p>Redis carries an {@code in_progress} frame without the answer so far (its cost would grow with
 * the answer), so the fan-out keeps the text of the channel's current answer from the frames it
 * hands out, and gives it to each such frame it hears. One it cannot continue (it started hearing
 * the channel mid-answer) is treated as a gap: the log's copy carries the text.
 */
final class ChannelFanOut {
    private static final Logger LOG = Logger.getLogger(ChannelFanOut.class.getName());
    /**
     * Reads of a gap tried before the held frames go out without it. A read fails when the log's
     * connection is still reconnecting while pub/sub already came back; the first retries follow
     * quickly, the later ones a couple of seconds apart: about ten seconds in all.
     */
    static final int FILL_ATTEMPTS = 10;

    private final String channel;
    private final BiFunction<String, Long, CompletionStage<FrameLog.Read>> log;
    private final Map<ClientWriter, Subscription> subscriptions = new ConcurrentHashMap<>();
    /** The last seq handed out; 0 until the first frame. */
    private long last;
    /** Frames held while a gap is filled, by seq; null when none is being filled. */
    private TreeMap<Long, NumberedFrame> held;
    /** Reads of the current gap that failed. */
    private int failedFills;
    /** The pub/sub connection came back while a gap was being read: read again once that read is in. */
    private boolean catchUpDue;
    /** No subscriber is left: a failed read is not tried again. */
    private volatile boolean closed;
    /** Whether {@link #text} is known: the frames handed out began the current answer or carried it. */
    private boolean textKnown;
    /** The message of the current answer, and its text so far (JSON-escaped). */
    private String textOf;
    private String text;

    /** @param log reads the frames of a channel after a seq */
    ChannelFanOut(String channel, BiFunction<String, Long, CompletionStage<FrameLog.Read>> log) {
        this.channel = channel;
        this.log = log;
    }

    /**
     * Adds {@code subscription} after {@code first} (its acknowledgement) is queued, with no frame
     * handed out in between: a frame goes either before the acknowledgement or to the subscription.
     * Returns the subscription of the same client it replaces, or null.
     */
    synchronized Subscription add(Subscription subscription, Runnable first) {
        first.run();
        return subscriptions.put(subscription.writer(), subscription);
    }

    /**
     * Where the channel stood when this instance started hearing it (the last seq logged then):
     * a frame that skips ahead of it is a gap to fill, even before the first frame came.
     */
    synchronized void startAt(long latest) {
        if (last == 0) {
            last = latest;
        }
    }

    /** Removes {@code subscription}; true when none is left. */
    boolean remove(Subscription subscription) {
        subscriptions.remove(subscription.writer(), subscription);
        return subscriptions.isEmpty();
    }

    Subscription subscriptionOf(ClientWriter writer) {
        return subscriptions.get(writer);
    }

    /** A frame, answered here or heard from Redis, in any order and possibly twice. */
    synchronized void offer(NumberedFrame frame) {
        if (frame.seq() <= last) {
            return;
        }
        if (held != null) {
            held.put(frame.seq(), frame);
        } else if (last > 0 && frame.seq() > last + 1 || frame.lacksText() && !continues(frame)) {
            held = new TreeMap<>();
            held.put(frame.seq(), frame);
            fill(last);
        } else {
            send(frame);
        }
    }

    /** Whether {@code frame}, heard without its text, continues the answer whose text is kept here. */
    private boolean continues(NumberedFrame frame) {
        return textKnown && Objects.equals(textOf, frame.frame().messageId());
    }

    /**
     * Fills from the log whatever came after the last frame handed out (the pub/sub connection came
     * back, and frames published meanwhile were never heard).
     */
    synchronized void catchUp() {
        if (held != null) {
            catchUpDue = true; // the read in flight may have run before the connection came back
        } else if (last > 0) {
            held = new TreeMap<>();
            fill(last);
        }
    }

    private void fill(long after) {
        log.apply(channel, after).whenComplete((read, error) -> filled(after, read, error));
    }

    private synchronized void filled(long after, FrameLog.Read read, Throwable error) {
        if (error != null && !closed && ++failedFills < FILL_ATTEMPTS) {
            long delay = Math.min(100L << (failedFills - 1), 2000L);
            LOG.fine(() -> "Could not read the gap in the frames of channel " + channel + " from the log (" + error
                    + "); trying again in " + delay + " ms");
            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(this::fillAgain);
            return;
        }
        if (error != null && !closed) {
            LOG.warning("Could not read the gap in the frames of channel " + channel + " from the log in "
                    + FILL_ATTEMPTS + " attempts; its clients go on without it: " + error);
        }
        failedFills = 0;
        List<NumberedFrame> frames = read == null ? List.of() : read.frames();
        if (read != null && read.latest() < after) {
            restart(); // the channel's numbers started again (Redis lost them): what was handed out means nothing
        }
        TreeMap<Long, NumberedFrame> waiting = held;
        held = null;
        long covered = after; // the newest seq this read saw: a frame heard later was logged after it
        for (NumberedFrame frame : frames) {
            covered = Math.max(covered, frame.seq());
            if (frame.seq() > last) {
                send(frame);
            }
        }
        if (waiting != null) {
            for (NumberedFrame frame : waiting.values()) {
                if (frame.seq() <= last) {
                    continue;
                }
                if (read != null && frame.lacksText() && !continues(frame) && frame.seq() > covered) {
                    // heard without its text, logged after the read: read again, from here, for the text it continues
                    held = new TreeMap<>(waiting.tailMap(frame.seq(), true));
                    fill(last);
                    return;
                }
                send(frame);
            }
        }
        if (catchUpDue) {
            catchUpDue = false;
            catchUp();
        }
    }

    private synchronized void fillAgain() {
        if (held != null) {
            fill(last);
        }
    }

    /**
     * The channel's seqs went back below what was handed out (Redis restarted without its data, or
     * failed over to a replica that was behind): everyone starts again from the frames now logged.
     */
    private void restart() {
        LOG.warning("The seqs of channel " + channel + " went back below " + last + " (Redis lost them);"
                + " its clients here get its frames from the log again");
        last = 0;
        subscriptions.values().forEach(Subscription::restart);
    }

    /** The channel's last subscriber here left. */
    void close() {
        closed = true;
    }

    private void send(NumberedFrame frame) {
        NumberedFrame whole = withText(frame);
        last = whole.seq();
        for (Subscription subscription : subscriptions.values()) {
            subscription.offer(whole);
        }
    }

    /**
     * {@code frame} with the answer so far, when heard without it; keeps the text it carries or
     * continues. A frame that does not continue the kept text even after the log was read (the log
     * lost the answer's start) starts it: its message is what is left.
     */
    private NumberedFrame withText(NumberedFrame frame) {
        if (frame.lacksText()) {
            Frame fields = frame.frame();
            String delta = fields.delta() == null ? "" : JsonText.of(fields.delta()).escaped();
            if (continues(frame)) {
                text = text + delta;
            } else {
                LOG.fine(() -> "Frame " + frame.seq() + " of channel " + channel + " continues an answer whose start"
                        + " the log no longer holds");
                textKnown = true;
                textOf = fields.messageId();
                text = delta;
            }
            return frame.withText(new JsonText(text));
        }
        if (!frame.inProgress() && !frame.startsAnswer()) {
            return frame;
        }
        Frame fields = frame.frame();
        textKnown = true;
        textOf = fields.messageId();
        text = fields.status() == Status.IN_PROGRESS && fields.message() != null ? fields.message().escaped() : "";
        return frame;
    }
}
