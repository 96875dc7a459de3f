package io.assistantstream.frames;

import java.io.IOException;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A frame with its {@code seq}, as clients get it, in either format: whole text (the predecessor's:
 * an {@code in_progress} frame's {@code message} is the answer so far) or delta (an
 * {@code in_progress} frame leaves {@code message} out and carries only its {@code delta}).
 *
 * <p>A frame answered on this instance is built from its {@link Frame}. A frame heard from another
 * instance arrives as JSON, and is only parsed when its fields are needed: an {@code in_progress}
 * frame in its delta form (what Redis carries), given the answer so far with {@link #withText}, any
 * other frame whole. The delta form is a prefix of the whole one, because {@code message} is always
 * its last field. Each form is encoded once, on first use, and shared by every client that wants it.
 */
public final class NumberedFrame {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SEQ_FIELD = "{\"seq\":";
    private static final String STATUS_FIELD = "\"status\":\"";
    private static final String DELTA_FIELD = ",\"delta\":\"";

    private final long seq;
    private final String channel;
    private volatile Frame frame;
    private volatile String whole;
    private volatile String compact;

    /** Heard in its delta form: there is no whole form until {@link #withText}. */
    private final boolean textless;

    private NumberedFrame(long seq, String channel, Frame frame, String whole, String compact) {
        this.seq = seq;
        this.channel = channel;
        this.frame = frame;
        this.whole = whole;
        this.compact = compact;
        this.textless = frame == null && whole == null;
    }

    /** {@code frame}, numbered {@code seq}. */
    public static NumberedFrame of(long seq, Frame frame) {
        return new NumberedFrame(seq, frame.channel(), frame, null, null);
    }

    /**
     * A frame of {@code channel} heard as JSON that begins with its seq (from Redis pub/sub, or a
     * completed frame kept for a redelivery): whole, or an {@code in_progress} frame in its delta form,
     * which {@link #lacksText lacks its text} until given it.
     *
     * @throws IllegalArgumentException when it does not begin with <code>{"seq":N</code>
     */
    public static NumberedFrame heard(String channel, String json) {
        long seq = seqOf(json);
        boolean inProgress = isInProgress(json);
        return inProgress && !json.contains(Frame.MESSAGE_FIELD) ? new NumberedFrame(seq, channel, null, null, json)
                : new NumberedFrame(seq, channel, null, json, inProgress ? null : json);
    }

    /**
     * Whether this is an {@code in_progress} frame heard in its delta form: its whole form needs the
     * answer so far ({@link #withText}).
     */
    public boolean lacksText() {
        return textless;
    }

    /**
     * This frame of {@code in_progress}, heard in its delta form, with {@code text}, the answer so far
     * (its delta included), as its {@code message}.
     */
    public NumberedFrame withText(JsonText text) {
        String json = compact;
        return new NumberedFrame(seq, channel, null, json.substring(0, json.length() - 1) + Frame.MESSAGE_FIELD
                + text.escaped() + "\"}", json);
    }

    /**
     * The seq at the start of a frame's JSON, read without parsing the rest.
     *
     * @throws IllegalArgumentException when it does not begin with <code>{"seq":N</code>
     */
    public static long seqOf(CharSequence json) {
        if (json.length() <= SEQ_FIELD.length() || !SEQ_FIELD.contentEquals(json.subSequence(0, SEQ_FIELD.length()))) {
            throw new IllegalArgumentException("a frame begins with {\"seq\":N");
        }
        long seq = 0;
        int i = SEQ_FIELD.length();
        for (; i < json.length() && i < SEQ_FIELD.length() + 19; i++) {
            char c = json.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            seq = seq * 10 + (c - '0');
        }
        if (i == SEQ_FIELD.length() || seq <= 0) {
            throw new IllegalArgumentException("a frame begins with {\"seq\":N, N a positive integer");
        }
        return seq;
    }

    public long seq() {
        return seq;
    }

    public String channel() {
        return channel;
    }

    /** Whether this is an {@code in_progress} frame: one that may be merged, and that the delta format shortens. */
    public boolean inProgress() {
        return is(Status.IN_PROGRESS);
    }

    /** Whether this is a {@code responding} frame: the first of an answer's text, which starts it empty. */
    public boolean startsAnswer() {
        return is(Status.RESPONDING);
    }

    private boolean is(Status status) {
        Frame parsed = frame;
        return parsed != null ? parsed.status() == status : has(whole == null ? compact : whole, status);
    }

    private static boolean isInProgress(String json) {
        return has(json, Status.IN_PROGRESS);
    }

    private static boolean has(String json, Status wanted) {
        int status = json.indexOf(STATUS_FIELD);
        return status > 0 && json.startsWith(wanted.wire() + "\"", status + STATUS_FIELD.length());
    }

    /** The JSON a client gets: whole text, or with {@code delta} the delta format. */
    public String json(boolean delta) {
        return delta ? compact() : whole();
    }

    private String whole() {
        String json = whole;
        if (json == null) {
            if (textless) {
                throw new IllegalStateException("frame " + seq + " of channel " + channel
                        + " was heard without its text and not given it");
            }
            Frame parsed = frame;
            if (parsed.status() == Status.IN_PROGRESS) { // the delta form, which other clients and the log use too
                String delta = compact();
                json = delta.substring(0, delta.length() - 1) + Frame.MESSAGE_FIELD + parsed.message().escaped() + "\"}";
            } else {
                json = SEQ_FIELD + seq + parsed.jsonAfterSeq(false);
            }
            whole = json;
        }
        return json;
    }

    /** The delta form without its opening <code>{"seq":N</code>, as the frame log keeps it. */
    String compactAfterSeq() {
        String json = compact();
        return json.substring(json.indexOf(','));
    }

    private String compact() {
        String json = compact;
        if (json == null) {
            Frame parsed = frame;
            if (parsed != null) {
                json = parsed.status() == Status.IN_PROGRESS ? SEQ_FIELD + seq + parsed.jsonAfterSeq(true) : whole();
            } else if (inProgress()) {
                String all = whole;
                int message = all.indexOf(Frame.MESSAGE_FIELD); // the delta before it cannot hold this unescaped
                int delta = all.indexOf(DELTA_FIELD);
                if (message > 0 && delta > 0 && delta < message) {
                    json = all.substring(0, message) + "}";
                } else { // message first: a frame of an earlier version of the service, during an upgrade
                    json = SEQ_FIELD + seq + frame().jsonAfterSeq(true);
                }
            } else {
                json = whole;
            }
            compact = json;
        }
        return json;
    }

    /** The frame's fields, parsed from its JSON the first time they are needed. */
    public Frame frame() {
        Frame parsed = frame;
        if (parsed == null) {
            parsed = parse(whole == null ? compact : whole);
            frame = parsed;
        }
        return parsed;
    }

    /** Whether {@code later} may be merged into this frame: both {@code in_progress} of one message. */
    public boolean continuedBy(NumberedFrame later) {
        return inProgress() && later.inProgress() && channel.equals(later.channel) && later.seq > seq
                && Objects.equals(frame().messageId(), later.frame().messageId());
    }

    /**
     * This frame and {@code later} as one: {@code later}'s seq, message and timestamp, and the two
     * deltas concatenated. A client that concatenates deltas, or keeps the latest message, ends with
     * the same text either way.
     */
    public NumberedFrame merge(NumberedFrame later) {
        Frame first = frame();
        Frame last = later.frame();
        String delta = (first.delta() == null ? "" : first.delta()) + (last.delta() == null ? "" : last.delta());
        return of(later.seq, new Frame(last.channel(), last.messageId(), last.conversationId(), last.status(),
                last.message(), delta, last.errorDetails(), last.timestampMillis()));
    }

    /**
     * Reads a frame's JSON, whole or compact, back into its fields; an {@code in_progress} frame without
     * {@code message} gets a null one.
     *
     * @throws IllegalArgumentException when it is not a frame's JSON
     */
    static Frame parse(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a frame's JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a frame's JSON object");
        }
        Status status = Status.ofWire(text(node, "status"));
        String message = text(node, "message");
        return new Frame(text(node, "channel"), text(node, "message_id"), text(node, "thread_id"), status,
                message == null ? null : JsonText.of(message), text(node, "delta"), text(node, "error_details"),
                node.path("timestamp").decimalValue().movePointRight(3).longValue(), text(node, "error_code"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    @Override
    public String toString() {
        return json(false);
    }
}
