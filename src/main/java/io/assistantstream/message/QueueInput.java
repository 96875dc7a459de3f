package io.assistantstream.message;

/** What a valid delivery on the input queue asks for: an answer, or a cancel of one. */
public sealed interface QueueInput permits ChatRequest, CancelRequest {
    /** The channel it concerns. */
    String channel();

    /** The message it is, or cancels. */
    String messageId();
}
