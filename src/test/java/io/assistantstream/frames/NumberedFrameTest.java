package io.assistantstream.frames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A numbered frame in both formats, whether answered here or heard as JSON, and two frames merged. */
class NumberedFrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Frame progress(String soFar, String delta) {
        return new Frame("c", "m", "conv_1", Status.IN_PROGRESS, JsonText.of(soFar), delta, null, 1_500L);
    }

    @Test
    void a_frame_heard_as_json_gives_the_same_delta_format_as_the_frame_it_was_built_from() throws Exception {
        NumberedFrame here = NumberedFrame.of(7, progress("say \"message\":\" and \\ more", "more"));
        NumberedFrame heard = NumberedFrame.heard("c", here.json(false));
        assertTrue(heard.inProgress());
        assertEquals(here.json(true), heard.json(true));
        JsonNode delta = JSON.readTree(heard.json(true));
        assertFalse(delta.has("message"));
        assertEquals("more", delta.get("delta").asText());
        assertEquals(7, delta.get("seq").asLong());
    }

    @Test
    void a_frame_of_the_earlier_layout_with_message_first_is_shortened_by_parsing_it() throws Exception {
        String earlier = "{\"seq\":3,\"message\":\"ab\",\"timestamp\":1.500,\"status\":\"in_progress\",\"type\":\"response\","
                + "\"final_message\":false,\"message_id\":\"m\",\"thread_id\":\"conv_1\",\"channel\":\"c\",\"delta\":\"b\"}";
        JsonNode delta = JSON.readTree(NumberedFrame.heard("c", earlier).json(true));
        assertFalse(delta.has("message"));
        assertEquals("b", delta.get("delta").asText());
        assertEquals(3, delta.get("seq").asLong());
    }

    @Test
    void only_in_progress_frames_lose_their_message_in_the_delta_format() throws Exception {
        NumberedFrame completed = NumberedFrame.of(9, new Frame("c", "m", "conv_1", Status.COMPLETED, JsonText.of("all"),
                null, null, 2_000L));
        NumberedFrame heard = NumberedFrame.heard("c", completed.json(false));
        assertFalse(heard.inProgress());
        assertEquals(completed.json(false), heard.json(true));
        assertEquals("all", JSON.readTree(completed.json(true)).get("message").asText());
    }

    @Test
    void two_progress_frames_of_one_message_merge_into_the_later_with_both_deltas() throws Exception {
        NumberedFrame first = NumberedFrame.heard("c", NumberedFrame.of(4, progress("ab", "b")).json(false));
        NumberedFrame second = NumberedFrame.of(5, progress("abc", "c"));
        assertTrue(first.continuedBy(second));
        JsonNode merged = JSON.readTree(first.merge(second).json(false));
        assertEquals(5, merged.get("seq").asLong());
        assertEquals("bc", merged.get("delta").asText());
        assertEquals("abc", merged.get("message").asText());
        NumberedFrame otherMessage = NumberedFrame.of(6, new Frame("c", "m2", "conv_1", Status.IN_PROGRESS,
                JsonText.of("x"), "x", null, 1L));
        assertFalse(second.continuedBy(otherMessage));
    }

    @Test
    void a_frame_without_a_seq_in_front_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> NumberedFrame.seqOf("{\"message\":\"x\",\"seq\":1}"));
        assertThrows(IllegalArgumentException.class, () -> NumberedFrame.seqOf("{\"seq\":0}"));
        assertEquals(12345, NumberedFrame.seqOf("{\"seq\":12345,\"x\":1}"));
    }
}
