package io.assistantstream.bench;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that come back: each opens a new WebSocket connection ({@link RawWebSocket}, on a virtual
 * thread of its own), subscribes to a channel with {@code since} = a seq that channel's live subscriber
 * ({@link Subscribers}) had some frames ago, and is timed from sending the subscribe until it receives
 * a frame whose seq reaches the latest seq the live subscriber had when the subscribe was sent: until
 * it has the frames it missed. It then closes.
 *
 * <p>The live subscribers' frames are recorded per channel ({@link #original}): each seq, its status
 * and the text of the channel's deltas up to it. Once the answers are over, every resume's frames up
 * to the one that caught it up are checked against that record: acknowledged with
 * {@code recovered: true}, seqs above {@code since} and strictly increasing (none twice), each seq's
 * status the live one's, each {@code in_progress} frame's {@code delta} exactly the text the live
 * subscriber got between the resume's previous seq and this one (consecutive frames may be coalesced
 * into one), its {@code message} the whole text up to its seq, and a {@code completed} frame's message
 * the whole answer. A problem is counted by kind.
 */
final class Resumes implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 30_000;

    /** Subscribe sent → the frame that brings the resume up to the live subscriber's seq. */
    final Latencies catchUp = new Latencies();
    /** Subscribe sent → its {@code subscribed} acknowledgement (sent once the log is read). */
    final Latencies acknowledged = new Latencies();
    /** Connection opened: TCP and the WebSocket handshake, not part of the catch-up time. */
    final Latencies connected = new Latencies();
    /** The catch-up time of resumes made one at a time once every answer has ended: the floor without load. */
    final Latencies quietCatchUp = new Latencies();
    private final int port;
    private final Map<String, History> histories = new ConcurrentHashMap<>();
    private final List<String> channels;
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final Set<RawWebSocket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    /** Resumes whose answers had all ended by the time they connected: not started, not errors. */
    private final AtomicInteger skipped = new AtomicInteger();

    Resumes(int port, List<String> channels) {
        this.port = port;
        this.channels = List.copyOf(channels);
        channels.forEach(channel -> histories.put(channel, new History()));
    }

    /** A frame the channel's live subscriber received (see {@link Subscribers#onEveryFrame}). */
    void original(String frame) {
        String channel = FrameFields.string(frame, "channel");
        History history = channel == null ? null : histories.get(channel);
        if (history != null && !history.add(FrameFields.seq(frame), FrameFields.string(frame, "status"),
                FrameFields.string(frame, "delta"))) {
            error("live_seq_out_of_order");
        }
    }

    /** Whether every channel's answer has ended for its live subscriber. */
    boolean allEnded() {
        return histories.values().stream().allMatch(History::ended);
    }

    /**
     * Starts a resume that misses {@code missing} frames, on a channel whose answer is still live and
     * has had more than that many frames; false, and nothing started, when no channel has.
     */
    boolean start(int missing) {
        if (pick(missing, false) == null) {
            return false;
        }
        Attempt attempt = new Attempt(missing, false);
        attempts.add(attempt);
        Thread.ofVirtual().name("resume").start(attempt::run);
        return true;
    }

    /**
     * Once every answer has ended: {@code count} resumes one after the other, each on an ended
     * channel and missing {@code missing} frames of its end; checked like the others, timed apart
     * ({@link #quietCatchUp}).
     */
    void quiet(int count, int missing) {
        for (int i = 0; i < count; i++) {
            Attempt attempt = new Attempt(missing, true);
            attempts.add(attempt);
            attempt.run();
        }
    }

    /**
     * The next channel, round robin, whose subscriber has had more than {@code missing} frames, and
     * whose answer is live (or, with {@code ended}, over).
     */
    private String pick(int missing, boolean ended) {
        for (int tried = 0; tried < channels.size(); tried++) {
            String channel = channels.get(Math.floorMod(next.getAndIncrement(), channels.size()));
            History history = histories.get(channel);
            if (history.ended() == ended && history.count() > missing) {
                return channel;
            }
        }
        return null;
    }

    /**
     * Waits up to {@code seconds} for the resumes started to catch up, then checks them all against
     * what the live subscribers received (call it once the answers are over) and sums them up.
     */
    Map<String, Object> finish(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Attempt attempt : attempts) {
            try {
                attempt.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // judged below
            }
        }
        long missing = 0;
        long frames = 0;
        int checked = 0;
        int resumes = 0;
        for (Attempt attempt : attempts) {
            attempt.check();
            if (!attempt.quiet) {
                resumes++;
                if (attempt.channel != null) {
                    checked++;
                    missing += attempt.target - attempt.since;
                    frames += attempt.framesUntilCaughtUp();
                }
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("resumes", resumes);
        row.put("p50_ms", catchUp.percentileMillis(50));
        row.put("p99_ms", catchUp.percentileMillis(99));
        row.put("max_ms", catchUp.percentileMillis(100));
        row.put("ack_p50_ms", acknowledged.percentileMillis(50));
        row.put("ack_p99_ms", acknowledged.percentileMillis(99));
        row.put("connect_p50_ms", connected.percentileMillis(50));
        row.put("connect_p99_ms", connected.percentileMillis(99));
        row.put("missing_frames_mean", checked == 0 ? 0 : Math.round(missing * 10.0 / checked) / 10.0);
        row.put("frames_until_caught_up_mean", checked == 0 ? 0 : Math.round(frames * 10.0 / checked) / 10.0);
        row.put("caught_up", catchUp.count());
        row.put("skipped", skipped.get());
        row.put("quiet_resumes", quietCatchUp.count());
        row.put("quiet_p50_ms", quietCatchUp.percentileMillis(50));
        row.put("quiet_max_ms", quietCatchUp.percentileMillis(100));
        TreeMap<String, Integer> kinds = new TreeMap<>();
        errors.forEach((kind, count) -> kinds.put(kind, count.get()));
        row.put("errors", kinds.values().stream().mapToInt(Integer::intValue).sum());
        row.put("error_kinds", kinds);
        return row;
    }

    private void error(String kind) {
        errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Closes the connections of resumes still waiting (their threads end with an error). */
    @Override
    public void close() {
        open.forEach(RawWebSocket::abort);
    }

    /**
     * What one channel's live subscriber received: each frame's seq and status, and all the deltas
     * in order with where each frame's text ends.
     */
    private static final class History {
        private long[] seqs = new long[64];
        private String[] statuses = new String[64];
        private int[] ends = new int[64];
        private int count;
        private final StringBuilder text = new StringBuilder();
        private volatile boolean ended;

        /** Records a frame; false when its seq is not above the last one (the live stream itself is wrong). */
        synchronized boolean add(long seq, String status, String delta) {
            if (count > 0 && seq <= seqs[count - 1]) {
                return false;
            }
            if (count == seqs.length) {
                seqs = Arrays.copyOf(seqs, count * 2);
                statuses = Arrays.copyOf(statuses, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            if ("in_progress".equals(status) && delta != null) {
                text.append(delta);
            }
            seqs[count] = seq;
            statuses[count] = status;
            ends[count] = text.length();
            count++;
            if ("completed".equals(status) || "error".equals(status)) {
                ended = true;
            }
            return true;
        }

        boolean ended() {
            return ended;
        }

        synchronized int count() {
            return count;
        }

        synchronized long latest() {
            return count == 0 ? 0 : seqs[count - 1];
        }

        /** The seq the subscriber had {@code frames} frames ago. */
        synchronized long back(int frames) {
            return seqs[count - 1 - frames];
        }

        /** The index of {@code seq}, or -1 when the subscriber never had it. */
        synchronized int indexOf(long seq) {
            int at = Arrays.binarySearch(seqs, 0, count, seq);
            return at < 0 ? -1 : at;
        }

        synchronized String status(int index) {
            return statuses[index];
        }

        /** The deltas' text from the end of frame {@code from} (-1: the start) to the end of frame {@code to}. */
        synchronized String text(int from, int to) {
            return text.substring(from < 0 ? 0 : ends[from], ends[to]);
        }
    }

    /** A frame a resume received before it caught up, as it came. */
    private record Received(long seq, String status, String delta, String message) {
    }

    /** One resume: its own connection, one subscribe with {@code since}, and what it received. */
    private final class Attempt {
        private final int missing;
        private final boolean quiet;
        private final List<Received> frames = new ArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private volatile String channel;
        private volatile long since;
        private volatile long target;
        private volatile String acknowledgement;
        private volatile String failure;
        private volatile boolean caughtUp;

        Attempt(int missing, boolean quiet) {
            this.missing = missing;
            this.quiet = quiet;
        }

        /**
         * Connects, picks a channel now (its {@code since} and target), subscribes, and reads until
         * caught up; then closes.
         */
        void run() {
            long opening = System.nanoTime();
            RawWebSocket socket = null;
            try {
                socket = RawWebSocket.open(port, TIMEOUT_MILLIS);
                open.add(socket);
                if (!quiet) {
                    connected.add((System.nanoTime() - opening) / 1_000);
                }
                String picked = pick(missing, quiet);
                if (picked == null) {
                    failure = "no_channel_left";
                    return;
                }
                History history = histories.get(picked);
                synchronized (history) {
                    since = history.back(missing);
                    target = history.latest();
                }
                channel = picked;
                long sent = System.nanoTime();
                socket.sendText("{\"action\":\"subscribe\",\"channel\":\"" + picked + "\",\"since\":" + since + "}");
                while (!caughtUp) {
                    String text = socket.readText();
                    long now = System.nanoTime();
                    if (text == null) {
                        failure = "closed_by_service";
                        return;
                    }
                    received(text, now - sent);
                }
            } catch (SocketTimeoutException e) {
                failure = "timed_out";
            } catch (IOException e) {
                failure = channel == null ? "connect_failed" : "socket_error";
            } finally {
                if (socket != null) {
                    open.remove(socket);
                    socket.close();
                }
                done.complete(null);
            }
        }

        /** A message {@code nanos} after the subscribe. */
        private void received(String text, long nanos) {
            if (text.startsWith("{\"type\":\"subscribed\"")) {
                if (acknowledgement == null) {
                    acknowledgement = text;
                    if (!quiet) {
                        acknowledged.add(nanos / 1_000);
                    }
                }
                return;
            }
            long seq = FrameFields.seq(text);
            if (seq < 0) {
                failure = "error_reply";
                caughtUp = true; // stop reading: judged as failed
                return;
            }
            synchronized (frames) {
                frames.add(new Received(seq, FrameFields.string(text, "status"), FrameFields.string(text, "delta"),
                        FrameFields.string(text, "message")));
            }
            if (seq >= target) {
                caughtUp = true;
                (quiet ? quietCatchUp : catchUp).add(nanos / 1_000);
            }
        }

        int framesUntilCaughtUp() {
            synchronized (frames) {
                return frames.size();
            }
        }

        /** Judges the resume against the live subscriber's record; counts what is wrong, once per kind. */
        void check() {
            if ("no_channel_left".equals(failure)) {
                skipped.incrementAndGet();
                return;
            }
            if (failure != null) {
                error(failure);
                return;
            }
            if (channel == null || !done.isDone()) {
                error("not_done");
                return;
            }
            if (acknowledgement == null) {
                error("not_acknowledged");
            } else if (!acknowledgement.contains("\"recovered\":true")) {
                error("not_recovered");
            }
            List<Received> received;
            synchronized (frames) {
                received = List.copyOf(frames);
            }
            History history = histories.get(channel);
            Set<String> wrong = new TreeSet<>();
            long previous = since;
            int previousIndex = history.indexOf(since);
            for (Received frame : received) {
                if (frame.seq() <= previous) {
                    wrong.add(frame.seq() == previous ? "seq_twice" : "seq_not_increasing");
                    continue;
                }
                int index = history.indexOf(frame.seq());
                if (index < 0) {
                    wrong.add("seq_unknown_to_live_subscriber");
                    continue;
                }
                if (!history.status(index).equals(frame.status())) {
                    wrong.add("status_differs");
                }
                if ("in_progress".equals(frame.status())) {
                    if (!history.text(previousIndex, index).equals(frame.delta() == null ? "" : frame.delta())) {
                        wrong.add("delta_text_differs");
                    }
                    if (frame.message() == null) {
                        wrong.add("message_missing");
                    } else if (!frame.message().equals(history.text(-1, index))) {
                        wrong.add("message_differs");
                    }
                } else if ("completed".equals(frame.status()) && frame.message() != null
                        && !frame.message().equals(history.text(-1, index))) {
                    wrong.add("completed_message_differs");
                }
                previous = frame.seq();
                previousIndex = index;
            }
            wrong.forEach(Resumes.this::error);
        }
    }
}
