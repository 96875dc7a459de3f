package io.assistantstream.message;

/** A control message on the input queue: stop the answer of {@code messageId} on {@code channel}. */
public record CancelRequest(String channel, String messageId) implements QueueInput {
}
