package io.assistantstream.hub;

import java.util.ArrayList;
import java.util.List;

import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.NumberedFrame;

/**
 * One client's subscription to one channel: the format it asked for, and the seq of the last frame
 * it was given, so that no frame reaches it twice whichever way it came (live, answered here or
 * heard from Redis, or replayed from the log). A subscription that resumes holds the live frames
 * back until its replay is queued, then lets through only those after it: no frame twice, no gap.
 */
final class Subscription {
    private final ClientWriter writer;
    private final boolean delta;
    private long last;
    /** Live frames held back while the replay is read; null once live. */
    private List<NumberedFrame> held;
    /** Unsubscribed (or replaced): a replay read meanwhile is not sent. */
    private boolean ended;

    /**
     * @param since the seq the client has, for a resume; null for live frames only
     */
    Subscription(ClientWriter writer, boolean delta, Long since) {
        this.writer = writer;
        this.delta = delta;
        this.last = since == null ? 0 : since;
        this.held = since == null ? null : new ArrayList<>();
    }

    ClientWriter writer() {
        return writer;
    }

    /** A live frame of the channel, in seq order. */
    synchronized void offer(NumberedFrame frame) {
        if (ended) {
            return;
        }
        if (held != null) {
            held.add(frame);
        } else {
            send(frame);
        }
    }

    /**
     * The replay is read: queues the acknowledgement, the frames after {@code since} (or, when the
     * client is ahead of the channel, everything), then the live frames held meanwhile, and goes live.
     */
    synchronized void replayed(String acknowledgement, FrameLog.Read read) {
        if (ended) {
            return;
        }
        try {
            writer.offer(acknowledgement);
            if (last > read.latest()) {
                last = 0; // the channel's numbers started again (Redis lost them): the client's seq means nothing
            }
            read.frames().forEach(this::send);
        } finally {
            goLive();
        }
    }

    /** The channel's numbers started again: frames with any seq are news from here on. */
    synchronized void restart() {
        last = 0;
    }

    /** The replay could not be read: the client is told, and gets live frames from here on. */
    synchronized void notReplayed(String error) {
        if (ended) {
            return;
        }
        writer.offer(error);
        goLive();
    }

    /** The client unsubscribed, or subscribed again: nothing more goes out through this subscription. */
    synchronized void end() {
        ended = true;
        held = null;
    }

    private void goLive() {
        List<NumberedFrame> waiting = held;
        held = null;
        if (waiting != null) {
            waiting.forEach(this::send);
        }
    }

    private void send(NumberedFrame frame) {
        if (frame.seq() > last) {
            last = frame.seq();
            writer.offer(frame, delta);
        }
    }
}
