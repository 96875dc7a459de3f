package io.assistantstream.backend;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a byte stream, blocking, one event at a time. Lines are split on
 * bytes and decoded whole, with a small buffer: a reader lives as long as its answer, and with
 * thousands of answers open a {@code BufferedReader} over an {@code InputStreamReader} (about 40 KB
 * each) was the largest thing on the heap.
 *
 * <p>What one line and one event may hold is capped, so an upstream that never ends a line, or
 * never ends an event, cannot fill the heap: past a cap the reader stops at once, having read at most
 * the cap and one buffer more, and throws an {@link OversizedEventException}.
 */
final class SseReader {
    /**
     * The longest line read, in bytes. OpenAI's largest lines are the response snapshots
     * ({@code response.completed}, {@code response.output_item.done}): one JSON line repeating the whole
     * answer with the instructions and tools. The longest answers models give (some 100,000 tokens)
     * are well under 1 MB of UTF-8, so 4 MiB leaves room for JSON escaping and what a snapshot adds,
     * while a thousand answers could not all hold so much at once without the operator noticing.
     */
    static final int MAX_LINE_BYTES = 4 << 20;
    /**
     * The most {@code data} one event may gather, in characters (at most as many bytes as were read):
     * twice a line, for an event whose data spans several lines. OpenAI sends one line per event.
     */
    static final int MAX_EVENT_CHARS = 8 << 20;
    private static final int BUFFER_BYTES = 2048;

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final ByteArrayOutputStream longLine = new ByteArrayOutputStream(0);
    private int start;
    private int end;

    SseReader(InputStream in) {
        this.in = in;
    }

    /**
     * The next event, or null at the end of the stream.
     *
     * @throws OversizedEventException when a line or the event's data passes its cap
     */
    SseEvent next() throws IOException {
        String event = null;
        StringBuilder data = null;
        for (String line; (line = readLine()) != null; ) {
            if (line.isEmpty()) {
                if (data != null) {
                    return new SseEvent(event, data.toString());
                }
                event = null;
            } else if (line.startsWith("data:")) {
                String value = field(line, 5);
                if ((data == null ? 0 : data.length() + 1) + value.length() > MAX_EVENT_CHARS) {
                    throw new OversizedEventException("an event whose data is longer than " + MAX_EVENT_CHARS
                            + " characters, the most one event may hold");
                }
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            } else if (line.startsWith("event:")) {
                event = field(line, 6);
            }
            // comments (":…"), "id:" and "retry:" lines carry nothing this client uses
        }
        return data == null ? null : new SseEvent(event, data.toString());
    }

    /** One line without its LF or CRLF, or null at the end of the stream. */
    private String readLine() throws IOException {
        while (true) {
            for (int i = start; i < end; i++) {
                if (buffer[i] == '\n') {
                    String line = line(i);
                    start = i + 1;
                    return line;
                }
            }
            if (start == 0 && end == buffer.length) {
                if (longLine.size() + end > MAX_LINE_BYTES) {
                    throw new OversizedEventException("a line longer than " + MAX_LINE_BYTES
                            + " bytes, the most one line may hold");
                }
                longLine.write(buffer, 0, end); // a line longer than the buffer
                end = 0;
            } else if (start > 0) {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            int read = in.read(buffer, end, buffer.length - end);
            if (read < 0) {
                if (end == start && longLine.size() == 0) {
                    return null;
                }
                String last = line(end); // the stream ended without a final newline
                start = end;
                return last;
            }
            end += read;
        }
    }

    /** Decodes buffer[start, stop) after whatever spilled into {@code longLine}, dropping a final CR. */
    private String line(int stop) {
        int length = stop - start;
        if (longLine.size() == 0) {
            if (length > 0 && buffer[start + length - 1] == '\r') {
                length--;
            }
            return new String(buffer, start, length, StandardCharsets.UTF_8);
        }
        longLine.write(buffer, start, length);
        byte[] bytes = longLine.toByteArray();
        longLine.reset();
        int size = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, size, StandardCharsets.UTF_8);
    }

    private static String field(String line, int from) {
        return line.startsWith(" ", from) ? line.substring(from + 1) : line.substring(from);
    }
}
