package io.assistantstream.frames;

/**
 * Text already escaped for the inside of a JSON string (RFC 8259 escapes, no quotes). A streamed
 * answer's {@code message} repeats the whole text so far in every frame; keeping it escaped means
 * each character is escaped once per answer and only copied afterwards.
 */
public record JsonText(String escaped) {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Escapes {@code raw}. */
    public static JsonText of(String raw) {
        StringBuilder escaped = new StringBuilder(raw.length() + 16);
        escape(escaped, raw);
        return new JsonText(escaped.toString());
    }

    /**
     * Appends {@code raw} to {@code json}, escaped. Runs of characters that need no escape are
     * copied in bulk: this loop runs over every character the service relays.
     */
    static void escape(StringBuilder json, CharSequence raw) {
        int run = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            json.append(raw, run, i);
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
        json.append(raw, run, raw.length());
    }
}
