package io.assistantstream.backend;

/** One server-sent event: its {@code event:} name (may be null) and its {@code data:} text. */
public record SseEvent(String event, String data) {
    public boolean isDone() {
        return "[DONE]".equals(data);
    }
}
