package io.assistantstream.backend;

/** The mapped conversation no longer exists upstream (404); a new one should replace it. */
public final class ConversationNotFoundException extends Exception {
    public ConversationNotFoundException(String conversationId) {
        super("conversation " + conversationId + " no longer exists upstream");
    }
}
