package io.assistantstream.bench;

/**
 * Fields of a frame's JSON read by string search, without a JSON parser: a frame's {@code seq} comes
 * first (<code>{"seq":N,</code>), and its string fields are taken as they stand on the wire, still
 * JSON-escaped, which is enough to compare two frames' texts.
 */
final class FrameFields {
    private FrameFields() {
    }

    /** The frame's {@code seq}, or -1 when the JSON does not begin with one. */
    static long seq(String frame) {
        String key = "{\"seq\":";
        if (!frame.startsWith(key)) {
            return -1;
        }
        long seq = 0;
        int i = key.length();
        for (; i < frame.length() && Character.isDigit(frame.charAt(i)); i++) {
            seq = seq * 10 + (frame.charAt(i) - '0');
        }
        return i == key.length() ? -1 : seq;
    }

    /**
     * The escaped content of the string field {@code name}, or null when the frame has no such field
     * (or it is not a string). Only top-level fields are looked for: a frame's fields are flat, and a
     * key inside a string value has its quotes escaped.
     */
    static String string(String frame, String name) {
        String key = "\"" + name + "\":\"";
        int start = frame.indexOf(key);
        if (start < 0) {
            return null;
        }
        start += key.length();
        for (int i = start; i < frame.length(); i++) {
            char c = frame.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return frame.substring(start, i);
            }
        }
        return null;
    }
}
