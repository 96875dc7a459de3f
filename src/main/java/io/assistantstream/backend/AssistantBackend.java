package io.assistantstream.backend;

import io.assistantstream.store.ChannelConversation;

/**
 * One OpenAI wire protocol. A backend creates conversations and streams one answer
 * into an {@link AnswerSink}; retries, timeouts and the tool rounds are shared (see
 * {@link OpenAiClient}, {@link ToolRounds}).
 */
public interface AssistantBackend {
    /** The name stored in the channel metadata, e.g. {@code responses}. */
    String name();

    /** Creates a new upstream conversation for {@code channel} and returns its id. */
    String createConversation(String channel, Deadline deadline) throws AnswerFailedException, InterruptedException;

    /**
     * Streams the answer to {@code message} on {@code conversation} into {@code sink}, running tool
     * rounds as the model asks; returns when the answer is complete.
     *
     * @throws ConversationNotFoundException when the conversation no longer exists upstream
     * @throws AnswerFailedException when the answer cannot be given (the reason is for the user)
     */
    void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException;
}
