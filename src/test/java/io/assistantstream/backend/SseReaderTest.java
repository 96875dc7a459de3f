package io.assistantstream.backend;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * A stream that repeats {@code pattern} for {@code limit} bytes, far past any cap, then ends (so a
     * reader without caps returns instead of filling the heap), and counts what was read of it.
     */
    private static final class Repeated extends InputStream {
        private final byte[] pattern;
        private final long limit;
        private long read;

        Repeated(String pattern, long limit) {
            this.pattern = pattern.getBytes(StandardCharsets.UTF_8);
            this.limit = limit;
        }

        @Override
        public int read() {
            return read < limit ? pattern[(int) (read++ % pattern.length)] : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = (int) Math.min(len, limit - read);
            if (n <= 0) {
                return -1;
            }
            for (int i = 0; i < n; i++) {
                b[off + i] = pattern[(int) (read++ % pattern.length)];
            }
            return n;
        }
    }

    @Test
    void an_upstream_line_without_end_fails_the_answer_without_reading_it_all() {
        Repeated stream = new Repeated("x", 3L * SseReader.MAX_LINE_BYTES);
        OversizedEventException e = assertThrows(OversizedEventException.class, () -> new SseReader(stream).next());
        assertEquals("a line longer than " + SseReader.MAX_LINE_BYTES + " bytes, the most one line may hold",
                e.getMessage());
        assertTrue(stream.read <= SseReader.MAX_LINE_BYTES + 4096, stream.read + " bytes read");
    }

    @Test
    void data_lines_that_never_end_their_event_are_stopped_at_the_event_cap() {
        Repeated stream = new Repeated("data: " + "y".repeat(1000) + "\n", 3L * SseReader.MAX_EVENT_CHARS);
        OversizedEventException e = assertThrows(OversizedEventException.class, () -> new SseReader(stream).next());
        assertEquals("an event whose data is longer than " + SseReader.MAX_EVENT_CHARS
                + " characters, the most one event may hold", e.getMessage());
        // each line of 1,007 bytes adds 1,001 characters
        assertTrue(stream.read <= SseReader.MAX_EVENT_CHARS / 1001 * 1007 + 4096, stream.read + " bytes read");
    }

    @Test
    void a_line_as_long_as_the_cap_is_still_read_whole() throws IOException {
        String data = "z".repeat(SseReader.MAX_LINE_BYTES - "data: ".length());
        assertEquals(List.of(new SseEvent(null, data)), all(trickle("data: " + data + "\n\n", 100_000)));
    }
}
