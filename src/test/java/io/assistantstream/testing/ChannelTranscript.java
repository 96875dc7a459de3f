package io.assistantstream.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one client saw of one channel, over all its connections, checked frame by frame against the
 * resume contract. Problems (the contract broken): a seq not above the one before (a frame twice, or
 * out of order); an {@code in_progress} frame without {@code delta}, or, in the delta format, with a
 * {@code message}; a whole-text {@code in_progress} or a {@code completed} frame whose {@code message}
 * is not the text its message's deltas add up to ({@code started} begins a message's text again: an
 * answer given again from the start).
 *
 * <p>Gaps are noted apart: a frame whose seq skips ahead of the one before, unless it is an
 * {@code in_progress} frame standing for as many frames as its delta has words (consecutive
 * {@code in_progress} frames coalesced in a replay: the fake OpenAI sends one word per delta, and test
 * worlds send a frame per delta). The first frame after a subscribe without {@code since} is not
 * checked for a gap (the client joined wherever the channel was), nor after one answered
 * {@code recovered:false}; after that one, texts begun before the resume are unknown until a
 * whole-text {@code in_progress} frame brings them.
 */
public final class ChannelTranscript {
    private static final Pattern WORD = Pattern.compile("\\S+");

    private final String channel;
    private final boolean delta;
    private final List<JsonNode> frames = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> gaps = new ArrayList<>();
    /** Per message id, its text so far; a message not here has an unknown text. */
    private final Map<String, StringBuilder> texts = new HashMap<>();
    /** Per message id, the message of its latest {@code completed} frame. */
    private final Map<String, String> completed = new HashMap<>();
    private final List<String> unverified = new ArrayList<>();
    private long last;
    /** Whether the next frame must follow on from {@code last} without a gap. */
    private boolean followsOn;

    /** @param delta whether the client subscribed with {@code "format":"delta"} */
    public ChannelTranscript(String channel, boolean delta) {
        this.channel = channel;
        this.delta = delta;
    }

    public String channel() {
        return channel;
    }

    public boolean delta() {
        return delta;
    }

    /** The seq of the last frame seen, 0 before the first: what to resume with. */
    public long lastSeq() {
        return last;
    }

    /**
     * The client (re)subscribed with {@code since} (null: live only) and got {@code ack}; frames after it
     * follow on from {@code since} when the ack says {@code recovered:true}.
     */
    public void subscribed(JsonNode ack, Long since) {
        if (since == null) {
            followsOn = false;
            return;
        }
        if (since < last) {
            problems.add("resumed with since " + since + " behind the last seq seen, " + last);
        }
        last = since;
        followsOn = ack.path("recovered").asBoolean(false);
        if (!followsOn) {
            texts.clear(); // what was missed is missed: texts are known again from a whole frame
        }
    }

    /** One frame, as the client got it. */
    public void add(JsonNode frame) {
        frames.add(frame);
        if (!frame.path("seq").canConvertToLong() || frame.path("seq").asLong() <= 0) {
            problems.add("not a frame (no seq): " + frame);
            return;
        }
        long seq = frame.get("seq").asLong();
        if (!channel.equals(frame.path("channel").asText())) {
            problems.add("a frame of another channel: " + frame);
        }
        if (seq <= last) {
            problems.add("seq " + seq + " after " + last + " (twice, or out of order): " + frame);
        } else if (followsOn && seq - last != span(frame)) {
            gaps.add("seq " + seq + " after " + last + ": " + frame);
        }
        last = Math.max(last, seq);
        followsOn = true;
        String id = frame.path("message_id").asText();
        switch (frame.path("status").asText()) {
            case "started" -> texts.put(id, new StringBuilder());
            case "in_progress" -> inProgress(id, frame);
            case "completed" -> completed(id, frame);
            default -> { }
        }
    }

    private void inProgress(String id, JsonNode frame) {
        if (!frame.path("delta").isTextual()) {
            problems.add("in_progress without delta: " + frame);
            return;
        }
        String added = frame.get("delta").asText();
        StringBuilder text = texts.get(id);
        if (delta) {
            if (frame.has("message")) {
                problems.add("in_progress with a message in the delta format: " + frame);
            }
            if (text != null) {
                text.append(added);
            }
            return;
        }
        if (!frame.path("message").isTextual()) {
            problems.add("in_progress without message in the whole-text format: " + frame);
            return;
        }
        String message = frame.get("message").asText();
        if (text == null) { // after a resume that could not recover: the message says what the text is
            if (!message.endsWith(added)) {
                problems.add("in_progress whose message does not end with its delta: " + frame);
            }
            texts.put(id, new StringBuilder(message));
            return;
        }
        text.append(added);
        if (!message.contentEquals(text)) {
            problems.add("in_progress message is not its deltas added up (\"" + text + "\"): " + frame);
        }
    }

    private void completed(String id, JsonNode frame) {
        String message = frame.path("message").asText(null);
        if (message == null) {
            problems.add("completed without message: " + frame);
            return;
        }
        StringBuilder text = texts.get(id);
        if (text == null) {
            unverified.add(id);
        } else if (!message.contentEquals(text)) {
            problems.add("completed message is not its deltas added up (\"" + text + "\"): " + frame);
        }
        completed.put(id, message);
    }

    /** How many frames {@code frame} stands for: an {@code in_progress} one, one per word of its delta. */
    private static long span(JsonNode frame) {
        if (!"in_progress".equals(frame.path("status").asText())) {
            return 1;
        }
        Matcher words = WORD.matcher(frame.path("delta").asText(""));
        long count = 0;
        while (words.find()) {
            count++;
        }
        return Math.max(1, count);
    }

    /** The message of the latest {@code completed} frame of {@code messageId}, if one came. */
    public Optional<String> completedText(String messageId) {
        return Optional.ofNullable(completed.get(messageId));
    }

    /** Where the contract was broken, each with the frame; empty when it held. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Frames that skipped seqs no coalescing accounts for. */
    public List<String> gaps() {
        return List.copyOf(gaps);
    }

    /** Messages that completed while their text was unknown (begun before a resume that could not recover). */
    public List<String> unverified() {
        return List.copyOf(unverified);
    }

    /** Every frame, in the order they came. */
    public List<JsonNode> frames() {
        return List.copyOf(frames);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(channel).append(delta ? " (delta)" : " (whole)").append(':');
        frames.forEach(frame -> out.append("\n  ").append(frame));
        return out.toString();
    }
}
