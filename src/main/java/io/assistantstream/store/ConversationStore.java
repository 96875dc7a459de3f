package io.assistantstream.store;

import java.util.Optional;

/**
 * Channel → conversation mapping with metadata and an index for stats and cleanup (the keys:
 * docs/ARCHITECTURE.md).
 * Every access slides the mapping's expiry.
 */
public interface ConversationStore {
    /**
     * Counts one more message on {@code channel}'s conversation (message count, last message time,
     * expiry, index) and returns the conversation; empty, counting nothing, when the channel has none.
     */
    Optional<ChannelConversation> recordMessage(String channel);

    /**
     * Maps {@code channel} to a new conversation, replacing any earlier mapping, with the message
     * that needed it counted.
     */
    ChannelConversation map(String channel, String conversationId, String backend);
}
