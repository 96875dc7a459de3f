package io.assistantstream.frames;

/**
 * One frame for the subscribers of a channel, before its per-channel {@code seq} is known.
 * {@code delta} is set on {@code in_progress} only, {@code errorDetails} on {@code error} only, and
 * {@code errorCode} (a machine-readable reason, e.g. {@code channel_busy}) on some errors.
 * {@code conversationId} goes on the wire as {@code thread_id}, the predecessor's name for it.
 */
public record Frame(String channel, String messageId, String conversationId, Status status, JsonText message,
                    String delta, String errorDetails, long timestampMillis, String errorCode) {
    public Frame(String channel, String messageId, String conversationId, Status status, JsonText message,
                 String delta, String errorDetails, long timestampMillis) {
        this(channel, messageId, conversationId, status, message, delta, errorDetails, timestampMillis, null);
    }

    /** How the {@code message} field, always the last, begins. */
    static final String MESSAGE_FIELD = ",\"message\":\"";

    /**
     * The frame's JSON without its opening <code>{"seq":N</code>: everything after the seq number,
     * starting with a comma, {@code message} last. Written by hand: it runs for every frame, and the
     * shape is fixed. {@code compact} leaves out the {@code message} of an
     * {@code in_progress} frame (the delta format, and what the frame log keeps), and changes nothing
     * for other frames. {@code message} comes last, so the whole form is the compact form with it
     * appended, and the compact form of a whole frame is a prefix of it ({@link NumberedFrame}).
     */
    public String jsonAfterSeq(boolean compact) {
        boolean withMessage = !compact || status != Status.IN_PROGRESS;
        String escaped = withMessage ? message.escaped() : "";
        StringBuilder json = new StringBuilder(200 + escaped.length() + (channel == null ? 0 : channel.length())
                + 2 * (delta == null ? 0 : delta.length()));
        json.append(",\"timestamp\":");
        seconds(json, timestampMillis);
        json.append(",\"status\":\"").append(status.wire())
                .append("\",\"type\":\"").append(status.type())
                .append("\",\"final_message\":").append(status.terminal())
                .append(",\"message_id\":");
        string(json, messageId);
        json.append(",\"thread_id\":");
        string(json, conversationId);
        if (errorDetails != null) {
            json.append(",\"error_details\":");
            string(json, errorDetails);
        }
        if (errorCode != null) {
            json.append(",\"error_code\":");
            string(json, errorCode);
        }
        json.append(",\"channel\":");
        string(json, channel);
        if (delta != null) {
            json.append(",\"delta\":");
            string(json, delta);
        }
        if (withMessage) {
            json.append(MESSAGE_FIELD).append(escaped).append('"');
        }
        return json.append('}').toString();
    }

    /** Epoch seconds with three decimals, as the seed's {@code time.time()} floats read. */
    private static void seconds(StringBuilder json, long millis) {
        int fraction = (int) Math.floorMod(millis, 1000L);
        json.append(Math.floorDiv(millis, 1000L)).append('.')
                .append((char) ('0' + fraction / 100)).append((char) ('0' + fraction / 10 % 10))
                .append((char) ('0' + fraction % 10));
    }

    /** A JSON string, or {@code null}. */
    private static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        JsonText.escape(json, value);
        json.append('"');
    }
}
