package io.assistantstream.backend;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads server-sent events from a byte stream, blocking, one event at a time. */
final class SseReader {
    private final BufferedReader lines;

    SseReader(InputStream in) {
        this.lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 16 * 1024);
    }

    /** The next event, or null at the end of the stream. */
    SseEvent next() throws IOException {
        String event = null;
        StringBuilder data = null;
        for (String line; (line = lines.readLine()) != null; ) {
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

    private static String field(String line, int from) {
        return line.startsWith(" ", from) ? line.substring(from + 1) : line.substring(from);
    }
}
