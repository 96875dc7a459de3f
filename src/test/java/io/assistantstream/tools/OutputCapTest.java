package io.assistantstream.tools;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TOOL_OUTPUT_MAX_BYTES: what the model gets is at most that many UTF-8 bytes, cut between characters. */
class OutputCapTest {
    private static int utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void an_output_within_the_limit_is_handed_on_whole() {
        String text = "€".repeat(20); // 60 bytes
        assertSame(text, new OutputCap(60).apply(text));
    }

    @Test
    void a_longer_output_is_cut_between_characters_and_says_how_long_it_was_within_the_limit() {
        OutputCap cap = new OutputCap(50);
        for (String unit : new String[] {"a", "é", "€", "😀"}) { // 1, 2, 3 and 4 bytes
            String text = unit.repeat(60);
            String capped = cap.apply(text);
            String marker = "\n[output cut to 50 bytes; it was " + utf8(text) + " bytes]";
            assertTrue(capped.endsWith(marker), capped);
            String kept = capped.substring(0, capped.length() - marker.length());
            assertEquals(unit.repeat(kept.length() / unit.length()), kept, "whole characters only: " + unit);
            assertTrue(utf8(capped) <= 50, utf8(capped) + " bytes for " + unit);
            assertTrue(utf8(capped) > 50 - unit.getBytes(StandardCharsets.UTF_8).length, "no more cut than needed");
            assertSame(capped, cap.apply(capped), "capping again changes nothing");
        }
    }

    @Test
    void a_limit_smaller_than_the_marker_cuts_without_it() {
        assertEquals("ab", new OutputCap(3).apply("ab€"));
    }

    @Test
    void a_body_is_kept_up_to_the_limit_and_the_rest_only_counted() throws IOException {
        String body = "x".repeat(100_000);
        String capped = new OutputCap(1000).read(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
        assertTrue(capped.endsWith("\n[output cut to 1000 bytes; it was 100000 bytes]"), capped);
        assertEquals(1000, utf8(capped));
        assertEquals("short", new OutputCap(1000).read(new ByteArrayInputStream("short".getBytes(StandardCharsets.UTF_8))));
    }
}
