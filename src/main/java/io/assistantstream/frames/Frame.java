package io.assistantstream.frames;

import java.math.BigDecimal;

/**
 * One frame for the subscribers of a channel, before its per-channel {@code seq} is known.
 * {@code delta} is set on {@code in_progress} only, {@code errorDetails} on {@code error} only.
 */
public record Frame(String channel, String messageId, String threadId, Status status, String message,
                    String delta, String errorDetails, long timestampMillis) {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * The frame's JSON without its opening {@code {"seq":N}: everything after the seq number, starting
     * with a comma. The publisher places the seq in front once Redis has assigned it, so a frame is
     * encoded once and numbered in the same round trip that publishes it. Written by hand: it runs
     * for every frame, and the shape is fixed.
     */
    public String jsonAfterSeq() {
        StringBuilder json = new StringBuilder(160 + 2 * message.length() + (delta == null ? 0 : delta.length()));
        json.append(",\"message\":");
        string(json, message);
        json.append(",\"timestamp\":").append(BigDecimal.valueOf(timestampMillis, 3).toPlainString())
                .append(",\"status\":\"").append(status.wire())
                .append("\",\"type\":\"").append(status.type())
                .append("\",\"final_message\":").append(status.terminal())
                .append(",\"message_id\":");
        string(json, messageId);
        json.append(",\"thread_id\":");
        string(json, threadId);
        if (errorDetails != null) {
            json.append(",\"error_details\":");
            string(json, errorDetails);
        }
        json.append(",\"channel\":");
        string(json, channel);
        if (delta != null) {
            json.append(",\"delta\":");
            string(json, delta);
        }
        return json.append('}').toString();
    }

    /**
     * A JSON string (RFC 8259 escapes), or {@code null}. Runs of characters that need no escape are
     * copied in bulk: {@code message} repeats the whole answer so far in every frame, so this loop is
     * the service's hottest.
     */
    private static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        int run = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            json.append(value, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> json.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        json.append(value, run, value.length()).append('"');
    }
}
