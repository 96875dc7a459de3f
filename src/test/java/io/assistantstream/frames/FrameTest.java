package io.assistantstream.frames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written frame JSON parses back to exactly what went in, whatever the text holds. */
class FrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void every_kind_of_character_survives_the_round_trip() throws Exception {
        StringBuilder all = new StringBuilder("quote \" backslash \\ slash / tab \t newline \n return \r ");
        for (char c = 0; c < 0x20; c++) {
            all.append(c);
        }
        all.append(" é 中文 😀 \u2028 \u2029 \u007f end");
        String text = all.toString();
        Frame frame = new Frame("chan\"1", "id\\2", "conv_3", Status.IN_PROGRESS, JsonText.of(text), text, null,
                1_795_546_779_486L);
        JsonNode parsed = JSON.readTree("{\"seq\":7" + frame.jsonAfterSeq(false));
        assertEquals(7, parsed.get("seq").asLong());
        assertEquals(text, parsed.get("message").asText());
        assertEquals(text, parsed.get("delta").asText());
        assertEquals("chan\"1", parsed.get("channel").asText());
        assertEquals("id\\2", parsed.get("message_id").asText());
        assertEquals("1795546779.486", parsed.get("timestamp").decimalValue().toPlainString());
        assertEquals("in_progress", parsed.get("status").asText());
        assertEquals("response", parsed.get("type").asText());
        assertFalse(parsed.get("final_message").asBoolean());
        assertFalse(parsed.has("error_details"));
    }

    @Test
    void an_error_frame_without_ids_has_nulls_and_details() throws Exception {
        Frame frame = new Frame("c", null, null, Status.ERROR, JsonText.of("Invalid request"), null, "why",
                1_000L);
        JsonNode parsed = JSON.readTree("{\"seq\":1" + frame.jsonAfterSeq(false));
        assertTrue(parsed.get("message_id").isNull());
        assertTrue(parsed.get("thread_id").isNull());
        assertEquals("why", parsed.get("error_details").asText());
        assertTrue(parsed.get("final_message").asBoolean());
        assertEquals("error", parsed.get("type").asText());
        assertTrue(frame.jsonAfterSeq(false).contains("\"timestamp\":1.000,"), "epoch seconds with milliseconds, plain");
        assertFalse(parsed.has("delta"));
    }
}
