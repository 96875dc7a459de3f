package io.assistantstream.intake;

/** A valid delivery: the three fields of design §2. */
public record ChatRequest(String channel, String messageId, String message) {
}
