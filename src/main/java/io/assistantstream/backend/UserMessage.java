package io.assistantstream.backend;

/** The message a backend answers: its {@code message_id} (tools and histories name it) and its text. */
public record UserMessage(String id, String text) {
}
