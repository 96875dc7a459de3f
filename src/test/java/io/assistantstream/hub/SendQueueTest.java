package io.assistantstream.hub;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import io.assistantstream.frames.Frame;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.frames.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client's send queue: bounded in bytes, its in_progress frames merged rather than the client dropped. */
class SendQueueTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final boolean WHOLE = false;
    private static final boolean DELTA = true;
    private static final String ACK = "{\"type\":\"subscribed\",\"channel\":\"a\"}";
    private static final String ERROR = "{\"type\":\"error\",\"status\":\"error\",\"message\":\"not JSON\"}";

    /** An in_progress frame of {@code message} in {@code channel}: the text so far, and what it added. */
    private static NumberedFrame progress(long seq, String channel, String message, String text, String delta) {
        return NumberedFrame.of(seq, new Frame(channel, message, "conv_1", Status.IN_PROGRESS, JsonText.of(text),
                delta, null, 1_000L * seq));
    }

    private static NumberedFrame terminal(long seq, String channel, String message, Status status, String text) {
        return NumberedFrame.of(seq, new Frame(channel, message, "conv_1", status, JsonText.of(text), null, null,
                1_000L * seq));
    }

    private static int size(NumberedFrame frame, boolean delta) {
        return frame.json(delta).length();
    }

    private static int size(NumberedFrame... frames) {
        int size = 0;
        for (NumberedFrame frame : frames) {
            size += size(frame, WHOLE);
        }
        return size;
    }

    private static JsonNode parse(String json) throws Exception {
        return JSON.readTree(json);
    }

    /** The text each taken item is, parsed, in order. */
    private static List<JsonNode> takeAll(SendQueue queue) throws Exception {
        List<String> texts = queue.take(Integer.MAX_VALUE);
        List<JsonNode> parsed = new java.util.ArrayList<>();
        for (String text : texts) {
            parsed.add(parse(text));
        }
        return parsed;
    }

    private final NumberedFrame a1 = progress(1, "a", "m", "Hel", "Hel");
    private final NumberedFrame a2 = progress(2, "a", "m", "Hello", "lo");
    private final NumberedFrame a3 = progress(3, "a", "m", "Hello wor", " wor");
    private final NumberedFrame a4 = progress(4, "a", "m", "Hello world", "ld");

    @Test
    void queued_progress_frames_of_one_message_merge_when_the_queue_fills() throws Exception {
        SendQueue queue = new SendQueue(size(a1, a2, a3));
        assertTrue(queue.offer(a1, WHOLE));
        assertTrue(queue.offer(a2, WHOLE));
        assertTrue(queue.offer(a3, WHOLE));
        assertEquals(3, queue.size(), "they fit: nothing merged yet");
        assertEquals(0, queue.merged());

        assertTrue(queue.offer(a4, WHOLE), "the offered frame merges with them");
        assertEquals(1, queue.size());
        assertEquals(3, queue.merged(), "four frames became one");
        assertTrue(queue.atBound());
        JsonNode merged = takeAll(queue).getFirst();
        assertEquals(4, merged.get("seq").asLong());
        assertEquals("Hello world", merged.get("delta").asText());
        assertEquals("Hello world", merged.get("message").asText());
    }

    @Test
    void frames_of_other_channels_between_them_do_not_keep_a_channels_frames_apart() throws Exception {
        NumberedFrame b1 = progress(1, "b", "n", "Bon", "Bon");
        NumberedFrame b2 = progress(2, "b", "n", "Bonjour", "jour");
        SendQueue queue = new SendQueue(size(a1, b1, a2, b2));
        for (NumberedFrame frame : List.of(a1, b1, a2, b2)) {
            assertTrue(queue.offer(frame, WHOLE));
        }

        assertTrue(queue.offer(a3, WHOLE));
        List<JsonNode> sent = takeAll(queue);
        assertEquals(2, sent.size(), "each channel's frames became one, in the place of its first");
        assertEquals("a", sent.get(0).get("channel").asText());
        assertEquals(3, sent.get(0).get("seq").asLong());
        assertEquals("Hello wor", sent.get(0).get("delta").asText());
        assertEquals("b", sent.get(1).get("channel").asText());
        assertEquals(2, sent.get(1).get("seq").asLong());
        assertEquals("Bonjour", sent.get(1).get("delta").asText());
    }

    @Test
    void control_replies_are_never_merged_and_count_their_size() throws Exception {
        SendQueue queue = new SendQueue(ACK.length() + size(a1, a2) + ERROR.length());
        assertTrue(queue.offer(ACK));
        assertTrue(queue.offer(a1, WHOLE));
        assertTrue(queue.offer(ERROR));
        assertTrue(queue.offer(a2, WHOLE));
        assertEquals(ACK.length() + size(a1, a2) + ERROR.length(), queue.bytes());

        assertTrue(queue.offer(a3, WHOLE));
        assertEquals(3, queue.size());
        List<String> sent = queue.take(3);
        assertEquals(ACK, sent.get(0));
        assertEquals("Hello wor", parse(sent.get(1)).get("delta").asText(), "a reply is no frame of the channel");
        assertEquals(ERROR, sent.get(2));
    }

    @Test
    void another_frame_of_the_channel_between_them_keeps_frames_apart_as_do_two_formats() throws Exception {
        NumberedFrame tool = terminal(3, "a", "m", Status.PROCESSING, "");
        NumberedFrame after = progress(4, "a", "m", "Hello wor", " wor");
        NumberedFrame done = terminal(5, "a", "m", Status.COMPLETED, "Hello wor");
        NumberedFrame next1 = progress(6, "a", "m2", "Bye", "Bye");
        NumberedFrame otherMessage = progress(7, "a", "m3", "Ciao", "Ciao");
        NumberedFrame next2 = progress(8, "a", "m2", "Bye now", " now");
        NumberedFrame c1 = progress(1, "c", "k", "Hi", "Hi");
        NumberedFrame c2 = progress(2, "c", "k", "Hi there", " there");
        List<NumberedFrame> whole = List.of(a1, a2, tool, after, done, next1, otherMessage, next2, c1);
        SendQueue queue = new SendQueue(size(whole.toArray(NumberedFrame[]::new)) + size(c2, DELTA));
        for (NumberedFrame frame : whole) {
            assertTrue(queue.offer(frame, WHOLE));
        }
        assertTrue(queue.offer(c2, DELTA), "fits");

        assertTrue(queue.offer(ERROR), "fits once a1 and a2 are one");
        assertEquals(1, queue.merged(), "only a1 and a2 continue one another");
        List<JsonNode> sent = takeAll(queue);
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 1L, 2L),
                sent.subList(0, 9).stream().map(f -> f.get("seq").asLong()).toList());
        assertEquals("Hello", sent.get(0).get("delta").asText());
        assertEquals("processing", sent.get(1).get("status").asText());
        assertEquals(" wor", sent.get(2).get("delta").asText(), "not merged across the processing frame");
        assertFalse(sent.get(8).has("message"), "the delta format, as offered");
        assertEquals("error", sent.get(9).get("type").asText());
    }

    @Test
    void a_terminal_frame_is_never_merged_into_the_progress_before_it() throws Exception {
        NumberedFrame done = terminal(3, "a", "m", Status.COMPLETED, "Hello");
        SendQueue queue = new SendQueue(size(a1, a2, done) - 1);
        assertTrue(queue.offer(a1, WHOLE));
        assertTrue(queue.offer(a2, WHOLE));
        assertTrue(queue.offer(done, WHOLE), "fits once a1 and a2 are one");
        assertEquals(1, queue.merged());
        List<JsonNode> sent = takeAll(queue);
        assertEquals(List.of(2L, 3L), sent.stream().map(f -> f.get("seq").asLong()).toList(),
                "the completed frame stays a frame of its own");
        assertEquals("Hello", sent.get(0).get("delta").asText());
        assertEquals("completed", sent.get(1).get("status").asText());
        assertEquals("Hello", sent.get(1).get("message").asText());
    }

    @Test
    void the_merged_frame_is_encoded_in_the_format_its_frames_were_offered_in() throws Exception {
        for (boolean delta : new boolean[] {WHOLE, DELTA}) {
            SendQueue queue = new SendQueue(size(a1, delta) + size(a2, delta));
            assertTrue(queue.offer(a1, delta));
            assertTrue(queue.offer(a2, delta));
            assertTrue(queue.offer(a3, delta));
            List<JsonNode> sent = takeAll(queue);
            assertEquals(1, sent.size());
            JsonNode merged = sent.getFirst();
            assertEquals(3, merged.get("seq").asLong(), "the last one's seq");
            assertEquals("in_progress", merged.get("status").asText());
            assertEquals("m", merged.get("message_id").asText());
            assertEquals("a", merged.get("channel").asText());
            assertEquals(3.0, merged.get("timestamp").asDouble(), "the last one's timestamp");
            assertEquals("Hello wor", merged.get("delta").asText(), "the deltas, concatenated");
            if (delta) {
                assertFalse(merged.has("message"), "the delta format has no message");
            } else {
                assertEquals("Hello wor", merged.get("message").asText(), "the last one's message");
            }
        }
    }

    @Test
    void frames_heard_from_another_instance_merge_too() throws Exception {
        SendQueue queue = new SendQueue(size(a1, a2));
        assertTrue(queue.offer(NumberedFrame.heard("a", a1.json(WHOLE)), DELTA));
        assertTrue(queue.offer(NumberedFrame.heard("a", a2.json(WHOLE)), DELTA));
        assertTrue(queue.offer(NumberedFrame.heard("a", a3.json(WHOLE)), DELTA));
        assertEquals(1, queue.size());
        JsonNode merged = takeAll(queue).getFirst();
        assertEquals(3, merged.get("seq").asLong());
        assertEquals("Hello wor", merged.get("delta").asText());
    }

    @Test
    void an_item_that_does_not_fit_even_with_the_frames_merged_is_refused() {
        NumberedFrame done1 = terminal(1, "a", "m1", Status.COMPLETED, "one");
        NumberedFrame done2 = terminal(2, "a", "m2", Status.ERROR, "two");
        NumberedFrame done3 = terminal(3, "a", "m3", Status.COMPLETED, "three");
        SendQueue queue = new SendQueue(size(done1, done2));
        assertTrue(queue.offer(done1, WHOLE));
        assertTrue(queue.offer(done2, WHOLE));

        assertFalse(queue.offer(done3, WHOLE));
        assertFalse(queue.offer(ACK));
        assertEquals(2, queue.size(), "what was queued stays");
        assertEquals(size(done1, done2), queue.bytes());
        assertTrue(queue.atBound());
    }

    @Test
    void an_empty_queue_takes_an_item_bigger_than_its_bound_and_a_lone_merged_frame_may_outgrow_it() {
        NumberedFrame longAnswer = terminal(9, "a", "m", Status.COMPLETED, "x".repeat(1_000));
        SendQueue queue = new SendQueue(100);
        assertTrue(queue.offer(longAnswer, WHOLE), "otherwise it could never be sent");
        assertTrue(queue.bytes() > 100);
        assertFalse(queue.offer(ACK), "nothing more while it waits");
        assertEquals(1, queue.take(1).size());
        assertTrue(queue.offer(ACK), "once it is taken");

        NumberedFrame long1 = progress(1, "b", "n", "y".repeat(100), "y".repeat(100));
        NumberedFrame long2 = progress(2, "b", "n", "y".repeat(200), "y".repeat(100));
        SendQueue lone = new SendQueue(size(long1) + 1);
        assertTrue(lone.offer(long1, WHOLE));
        assertTrue(lone.offer(long2, WHOLE), "merged, it is all that waits");
        assertEquals(1, lone.size());
        assertTrue(lone.bytes() > size(long1) + 1);
    }

    @Test
    void taken_items_no_longer_count() {
        SendQueue queue = new SendQueue(ACK.length() + size(a1, a2));
        assertTrue(queue.offer(ACK));
        assertTrue(queue.offer(a1, WHOLE));
        assertTrue(queue.offer(a2, DELTA));
        assertFalse(queue.offer(ERROR), "full, and a1 and a2 are of two formats");
        assertTrue(queue.atBound());

        assertEquals(List.of(ACK, a1.json(WHOLE)), queue.take(2));
        assertEquals(size(a2, DELTA), queue.bytes());
        assertEquals(1, queue.size());
        assertFalse(queue.atBound(), "the writer took something since");
        assertEquals(List.of(a2.json(DELTA)), queue.take(5));
        assertEquals(0, queue.bytes());
        assertEquals(List.of(), queue.take(1));
    }
}
