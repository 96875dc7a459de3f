package io.assistantstream.intake;

/** A valid delivery: its three required fields. */
public record ChatRequest(String channel, String messageId, String message) {
}
