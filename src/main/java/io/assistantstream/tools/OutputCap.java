package io.assistantstream.tools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The most of a tool's output handed to the model: {@code TOOL_OUTPUT_MAX_BYTES} UTF-8 bytes. A longer
 * output is cut on a character boundary and ends with a marker that says so and how long the output
 * was. The marker counts within the limit, so what the model gets is never longer than the limit, and
 * capping a capped text changes nothing. (A limit too small for the marker cuts without one.)
 */
final class OutputCap {
    /**
     * How much of a body past the limit is read, only to be counted, before the rest is left unread
     * and the marker says "more than": the tool's timeout bounds the time, this the bytes.
     */
    static final long COUNTED_AT_MOST = 64L << 20;

    private final int maxBytes;

    OutputCap(int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("a tool output cap must be at least 1 byte, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    int maxBytes() {
        return maxBytes;
    }

    /** {@code text}, or its capped form when it is longer than the limit in UTF-8. */
    String apply(String text) {
        if (text.length() * 3L <= maxBytes) { // no UTF-16 char takes more than 3 bytes in UTF-8
            return text;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= maxBytes ? text : cut(bytes, Long.toString(bytes.length));
    }

    /**
     * A body read as UTF-8, capped: at most the limit is kept in memory, and the rest is read only
     * to count it, up to {@link #COUNTED_AT_MOST}.
     */
    String read(InputStream body) throws IOException {
        byte[] kept = body.readNBytes(maxBytes);
        if (kept.length < maxBytes) {
            return apply(new String(kept, StandardCharsets.UTF_8)); // malformed bytes decode longer
        }
        long rest = 0;
        byte[] buffer = new byte[8192];
        for (int n; rest <= COUNTED_AT_MOST && (n = body.read(buffer)) >= 0; ) {
            rest += n;
        }
        if (rest == 0) {
            return apply(new String(kept, StandardCharsets.UTF_8)); // exactly the limit: whole, unless malformed
        }
        long total = kept.length + rest;
        return cut(kept, rest > COUNTED_AT_MOST ? "more than " + total : Long.toString(total));
    }

    /** The first bytes that fit before the marker, ending on a character boundary, then the marker. */
    private String cut(byte[] bytes, String total) {
        String marker = "\n[output cut to " + maxBytes + " bytes; it was " + total + " bytes]";
        int end = maxBytes - marker.length(); // the marker is ASCII: one byte a char
        if (end < 0) {
            end = maxBytes;
            marker = "";
        }
        end = Math.min(end, bytes.length);
        while (end > 0 && end < bytes.length && (bytes[end] & 0xC0) == 0x80) {
            end--; // bytes[end] continues a character begun before it: cut before that character
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8) + marker;
    }
}
