package io.assistantstream.frames;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * One frame for the subscribers of a channel, before its per-channel {@code seq} is known.
 * {@code delta} is set on {@code in_progress} only, {@code errorDetails} on {@code error} only.
 */
public record Frame(String channel, String messageId, String threadId, Status status, String message,
                    String delta, String errorDetails, long timestampMillis) {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * The frame's JSON without its opening {@code {"seq":N}: everything after the seq number, starting
     * with a comma. The publisher places the seq in front once Redis has assigned it, so a frame is
     * encoded once and numbered in the same round trip that publishes it.
     */
    public String jsonAfterSeq() {
        StringWriter out = new StringWriter(128 + message.length() + (delta == null ? 0 : delta.length()));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("message", message);
            g.writeFieldName("timestamp");
            g.writeNumber(BigDecimal.valueOf(timestampMillis, 3));
            g.writeStringField("status", status.wire());
            g.writeStringField("type", status.type());
            g.writeBooleanField("final_message", status.terminal());
            g.writeStringField("message_id", messageId);
            g.writeStringField("thread_id", threadId);
            if (errorDetails != null) {
                g.writeStringField("error_details", errorDetails);
            }
            g.writeStringField("channel", channel);
            if (delta != null) {
                g.writeStringField("delta", delta);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "," + out.getBuffer().substring(1);
    }

    /** The complete frame as subscribers receive it. */
    public String json(long seq) {
        return "{\"seq\":" + seq + jsonAfterSeq();
    }
}
