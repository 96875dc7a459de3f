package io.assistantstream.frames;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.RedisException;

/**
 * An in-memory {@link FramePublisher} and its {@link ChannelTurn}s (all one): numbers and keeps every
 * frame, in order. From {@link #failFrom} on, every publish fails as Redis being away would.
 */
public final class RecordedFrames implements FramePublisher, ChannelTurn {
    private final List<Frame> frames = new CopyOnWriteArrayList<>();
    private final AtomicLong seq = new AtomicLong();
    private volatile int failFrom = Integer.MAX_VALUE;
    private volatile String terminal;

    @Override
    public CompletionStage<Long> publish(Frame frame) {
        if (frames.size() >= failFrom) {
            return CompletableFuture.failedFuture(new RedisException("Redis is away"));
        }
        frames.add(frame);
        long numbered = seq.incrementAndGet();
        if (frame.status().terminal()) {
            terminal = "{\"seq\":" + numbered + frame.jsonAfterSeq(false);
        }
        return CompletableFuture.completedFuture(numbered);
    }

    @Override
    public ChannelTurn turn(String channel) {
        return this;
    }

    @Override
    public void close() {
    }

    @Override
    public CompletionStage<Long> publishAgain(String jsonAfterSeq) {
        long numbered = seq.incrementAndGet();
        terminal = "{\"seq\":" + numbered + jsonAfterSeq;
        return CompletableFuture.completedFuture(numbered);
    }

    @Override
    public Optional<String> terminalFrame() {
        return Optional.ofNullable(terminal);
    }

    /** Every publish after the first {@code published} frames fails. */
    public void failFrom(int published) {
        failFrom = published;
    }

    public List<Frame> frames() {
        return List.copyOf(frames);
    }

    /** The statuses of the frames, in order, as on the wire. */
    public List<String> statuses() {
        return frames.stream().map(frame -> frame.status().wire()).toList();
    }
}
