package io.assistantstream.message;

/** A valid delivery: its three required fields, and its {@code multitask} policy when it names one. */
public record ChatRequest(String channel, String messageId, String message, String multitask) implements QueueInput {
    /** A message without a {@code multitask} field: the service's policy applies. */
    public ChatRequest(String channel, String messageId, String message) {
        this(channel, messageId, message, null);
    }

}
