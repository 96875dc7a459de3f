package io.assistantstream.hub;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.assistantstream.frames.NumberedFrame;

/**
 * What waits to be written to one WebSocket client: control replies and frames, in order, bounded
 * in bytes. An item's size is the length in chars of its JSON text, which is its size in bytes
 * for ASCII text (the service escapes only what JSON requires, so a character outside ASCII counts
 * one, though UTF-8 takes two to four bytes for it): counting UTF-8 exactly would mean a pass over
 * every frame for every client.
 *
 * <p>An offer that would take the queue past its bound first coalesces the {@code in_progress}
 * frames: consecutive {@code in_progress} frames of one message of one channel (no other frame of
 * that channel between them; other channels' frames and control replies may lie between) become one
 * frame, in the place of the first, with the last one's seq, message and timestamp and all their
 * deltas ({@link NumberedFrame#merge}). A client that concatenates deltas, or keeps the latest
 * message, ends with the same text, only in fewer frames. The offered frame may merge into what is
 * queued too. Only when even then the item does not fit is it refused (the client is too slow).
 * Frames are merged only in the format they were offered in; control replies are never merged.
 *
 * <p>A queue of one item is never over its bound: an empty queue takes any item, however big, and
 * a frame that coalescing grew past the bound stays when it is all that waits. Otherwise the
 * completed frame of an answer longer than the bound could never be sent.
 *
 * <p>Not thread-safe: its {@link ClientWriter} guards it.
 */
final class SendQueue {
    private final int bound;
    private final ArrayDeque<Item> items = new ArrayDeque<>();
    private long bytes;
    private long merged;
    private boolean reachedBound;

    /** A queue of at most {@code bound} bytes (chars of JSON). */
    SendQueue(int bound) {
        if (bound < 1) {
            throw new IllegalArgumentException("a send queue holds at least one byte");
        }
        this.bound = bound;
    }

    /** Queues a control reply (never merged); false when it does not fit. */
    boolean offer(String text) {
        return offer(new Item(text, null, false, text.length()));
    }

    /**
     * Queues {@code frame}, to be written as {@link NumberedFrame#json(boolean) frame.json(delta)};
     * false when it does not fit even with the queued {@code in_progress} frames merged. It is encoded
     * here, to be sized (once per format, and shared: every client gets the same {@link NumberedFrame}).
     */
    boolean offer(NumberedFrame frame, boolean delta) {
        return offer(new Item(null, frame, delta, frame.json(delta).length()));
    }

    private boolean offer(Item item) {
        if (items.isEmpty() || bytes + item.size <= bound) {
            add(item);
            return true;
        }
        reachedBound = true;
        Map<String, Item> lastOfChannel = coalesce();
        Item last = item.frame == null ? null : lastOfChannel.get(item.frame.channel());
        if (last != null && last.delta == item.delta && last.frame.continuedBy(item.frame)) {
            NumberedFrame both = last.frame.merge(item.frame);
            int size = both.json(item.delta).length();
            if (bytes - last.size + size <= bound || items.size() == 1) {
                bytes += size - last.size;
                last.frame = both;
                last.size = size;
                merged++;
                return true;
            }
            return false;
        }
        if (bytes + item.size <= bound) {
            add(item);
            return true;
        }
        return false;
    }

    /** Takes up to {@code max} items, in order, as the texts to write; their bytes no longer count. */
    List<String> take(int max) {
        List<String> texts = new ArrayList<>(Math.min(max, items.size()));
        for (Item item; texts.size() < max && (item = items.poll()) != null; ) {
            bytes -= item.size;
            texts.add(item.text());
        }
        if (!texts.isEmpty()) {
            reachedBound = false;
        }
        return texts;
    }

    /** Drops everything queued. */
    void clear() {
        items.clear();
        bytes = 0;
    }

    /** Items queued. */
    int size() {
        return items.size();
    }

    /** The bytes (chars of JSON) queued. */
    long bytes() {
        return bytes;
    }

    /** Frames merged away so far: each merge of two frames counts one. */
    long merged() {
        return merged;
    }

    /**
     * Whether an offer met the bound since items were last taken: the client is not keeping up
     * (a writer stuck on a client that does not read takes nothing).
     */
    boolean atBound() {
        return reachedBound;
    }

    private void add(Item item) {
        items.add(item);
        bytes += item.size;
    }

    /**
     * Merges each run of queued {@code in_progress} frames that continue one another, in one pass.
     * Returns each channel's last queued frame, which an offered frame may continue.
     */
    private Map<String, Item> coalesce() {
        Map<String, Item> lastOfChannel = new HashMap<>();
        Map<Item, List<NumberedFrame>> runs = new HashMap<>();
        ArrayDeque<Item> kept = new ArrayDeque<>(items.size());
        for (Item item : items) {
            if (item.frame != null) {
                String channel = item.frame.channel();
                Item last = lastOfChannel.get(channel);
                if (last != null && last.delta == item.delta) {
                    List<NumberedFrame> run = runs.get(last);
                    NumberedFrame tail = run == null ? last.frame : run.getLast();
                    if (tail.continuedBy(item.frame)) {
                        runs.computeIfAbsent(last, l -> new ArrayList<>(List.of(l.frame))).add(item.frame);
                        continue;
                    }
                }
                lastOfChannel.put(channel, item);
            }
            kept.add(item);
        }
        if (runs.isEmpty()) {
            return lastOfChannel;
        }
        for (Map.Entry<Item, List<NumberedFrame>> run : runs.entrySet()) {
            Item head = run.getKey();
            List<NumberedFrame> frames = run.getValue();
            head.frame = merge(frames, 0, frames.size());
            head.size = head.frame.json(head.delta).length();
            merged += frames.size() - 1;
        }
        items.clear();
        items.addAll(kept);
        bytes = 0;
        for (Item item : items) {
            bytes += item.size;
        }
        return lastOfChannel;
    }

    /**
     * {@code frames[from, to)} as one frame. Halves are merged, not one frame after another, so each
     * delta is copied a logarithmic number of times, not once per frame after it.
     */
    private static NumberedFrame merge(List<NumberedFrame> frames, int from, int to) {
        if (to - from == 1) {
            return frames.get(from);
        }
        int middle = (from + to) >>> 1;
        return merge(frames, from, middle).merge(merge(frames, middle, to));
    }

    /** A control reply ({@code text}) or a frame in one format, with its size; a merge changes both. */
    private static final class Item {
        private final String text;
        private NumberedFrame frame;
        private final boolean delta;
        private int size;

        Item(String text, NumberedFrame frame, boolean delta, int size) {
            this.text = text;
            this.frame = frame;
            this.delta = delta;
            this.size = size;
        }

        String text() {
            return frame == null ? text : frame.json(delta);
        }
    }
}
