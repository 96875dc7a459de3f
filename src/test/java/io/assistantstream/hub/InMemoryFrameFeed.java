package io.assistantstream.hub;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.NumberedFrame;

/**
 * An in-memory {@link FrameFeed}: knows which channels are heard, keeps every frame published (whole,
 * as a read of the real log rebuilds it) as the log, and lets a test publish a frame, lose one on the way (as pub/sub does while its connection
 * is away) and report the connection back.
 */
final class InMemoryFrameFeed implements FrameFeed {
    private final Set<String> heard = ConcurrentHashMap.newKeySet();
    private final Map<String, List<NumberedFrame>> log = new ConcurrentHashMap<>();
    private volatile Listener listener;
    private volatile boolean failUnsubscribes;
    private volatile boolean repliesLate;
    private final AtomicInteger reads = new AtomicInteger();
    /** Reads not answered yet while reads are held; null when reads answer at once. */
    private volatile List<Runnable> heldReads;

    @Override
    public void listen(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void subscribe(String channel) {
        heard.add(channel);
    }

    @Override
    public void unsubscribe(String channel) {
        if (failUnsubscribes) {
            throw new IllegalStateException("Redis did not answer the UNSUBSCRIBE");
        }
        heard.remove(channel);
    }

    /** Every UNSUBSCRIBE fails from now on, as with a Redis that does not answer. */
    void failUnsubscribes() {
        failUnsubscribes = true;
    }

    @Override
    public long latest(String channel) {
        return log.getOrDefault(channel, List.of()).stream().mapToLong(NumberedFrame::seq).max().orElse(0);
    }

    @Override
    public CompletionStage<FrameLog.Read> read(String channel, long since, boolean coalesce) {
        reads.incrementAndGet();
        List<Runnable> held = heldReads;
        if (held != null) {
            CompletableFuture<FrameLog.Read> later = new CompletableFuture<>();
            if (repliesLate) { // the read ran now; only its reply comes later
                CompletionStage<FrameLog.Read> now = readNow(channel, since);
                held.add(() -> now.thenAccept(later::complete));
            } else {
                held.add(() -> readNow(channel, since).thenAccept(later::complete));
            }
            return later;
        }
        return readNow(channel, since);
    }

    /** As the frame log answers: all it holds, not recovered, when {@code since} is ahead of the channel. */
    private CompletionStage<FrameLog.Read> readNow(String channel, long since) {
        long latest = latest(channel);
        long from = since > latest ? 0 : since;
        List<NumberedFrame> frames = log.getOrDefault(channel, List.of()).stream()
                .filter(frame -> frame.seq() > from).toList();
        return CompletableFuture.completedFuture(new FrameLog.Read(since <= latest, frames, latest));
    }

    @Override
    public void close() {
        heard.clear();
    }

    /**
     * A frame published on {@code channel}: logged, and heard only when the channel is subscribed, as
     * Redis carries it: an {@code in_progress} frame without the answer so far.
     */
    void publish(String channel, String frame) {
        logged(channel, frame);
        if (heard.contains(channel)) {
            listener.frame(channel, NumberedFrame.heard(channel, frame).json(true));
        }
    }

    /** A frame logged but never heard. */
    void logged(String channel, String frame) {
        log.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(NumberedFrame.heard(channel, frame));
    }

    /** Redis lost the channel's frames. */
    void forget(String channel) {
        log.remove(channel);
    }

    /** The connection came back: every channel heard is confirmed again. */
    void reconnected() {
        heard.forEach(listener::resumed);
    }

    /** Reads wait until {@link #answerReads}, as a slow Redis would make them. */
    void holdReads() {
        heldReads = new CopyOnWriteArrayList<>();
    }

    /**
     * Reads read the log as it is now, and their replies wait until {@link #answerReads}, as a reply
     * on its way back would: frames logged meanwhile are not in them.
     */
    void holdReplies() {
        repliesLate = true;
        holdReads();
    }

    /** Answers the reads held, reading the log as it is now, and answers later ones at once. */
    void answerReads() {
        List<Runnable> held = heldReads;
        heldReads = null;
        held.forEach(Runnable::run);
    }

    /** How many times the log was read. */
    int reads() {
        return reads.get();
    }

    Set<String> heard() {
        return Set.copyOf(heard);
    }
}
