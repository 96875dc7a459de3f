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
 */
final class SseReader {
    private static final int BUFFER_BYTES = 2048;

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final ByteArrayOutputStream longLine = new ByteArrayOutputStream(0);
    private int start;
    private int end;

    SseReader(InputStream in) {
        this.in = in;
    }

    /** The next event, or null at the end of the stream. */
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
