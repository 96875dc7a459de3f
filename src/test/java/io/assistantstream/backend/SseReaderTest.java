package io.assistantstream.backend;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Server-sent events as OpenAI and other servers frame them, read back exactly. */
class SseReaderTest {
    /** Hands out at most {@code chunk} bytes per read, so lines and characters straddle reads. */
    private static InputStream trickle(String text, int chunk) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private static List<SseEvent> all(InputStream in) throws IOException {
        SseReader reader = new SseReader(in);
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent event; (event = reader.next()) != null; ) {
            events.add(event);
        }
        return events;
    }

    @Test
    void events_with_names_data_only_events_comments_and_done_are_read() throws IOException {
        String stream = ": keep-alive\n\nevent: response.created\ndata: {\"a\":1}\n\ndata: {\"b\":2}\n\n"
                + "id: 7\nevent: x\ndata:no-space\n\ndata: [DONE]\n\n";
        for (int chunk : new int[] {1, 3, 7, 4096}) {
            List<SseEvent> events = all(trickle(stream, chunk));
            assertEquals(List.of(new SseEvent("response.created", "{\"a\":1}"), new SseEvent(null, "{\"b\":2}"),
                    new SseEvent("x", "no-space"), new SseEvent(null, "[DONE]")), events, "chunk " + chunk);
        }
    }

    @Test
    void crlf_lines_multi_line_data_and_a_missing_final_blank_line_are_handled() throws IOException {
        String stream = "event: e\r\ndata: one\r\ndata: two\r\n\r\ndata: last";
        assertEquals(List.of(new SseEvent("e", "one\ntwo"), new SseEvent(null, "last")), all(trickle(stream, 5)));
    }

    @Test
    void lines_longer_than_the_buffer_and_multibyte_text_across_reads_survive() throws IOException {
        String big = "é中😀".repeat(3_000) + "x".repeat(5_000);
        String stream = "event: big\ndata: " + big + "\r\n\ndata: after\n\n";
        for (int chunk : new int[] {1, 2, 3, 1000, 100_000}) {
            assertEquals(List.of(new SseEvent("big", big), new SseEvent(null, "after")), all(trickle(stream, chunk)),
                    "chunk " + chunk);
        }
    }
}
