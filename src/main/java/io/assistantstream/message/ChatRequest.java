package io.assistantstream.message;

/** A valid delivery: its three required fields. */
public record ChatRequest(String channel, String messageId, String message) implements QueueInput {
}
