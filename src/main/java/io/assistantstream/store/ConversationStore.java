package io.assistantstream.store;

import java.util.Optional;

/**
 * Channel → conversation mapping with metadata and an index for stats and cleanup (design §4).
 * Every access slides the mapping's expiry.
 */
public interface ConversationStore {
    /** The conversation mapped to {@code channel}, if any; refreshes its expiry. */
    Optional<String> conversation(String channel);

    /** Maps {@code channel} to a new conversation, replacing any earlier mapping. */
    void map(String channel, String conversationId, String backend);

    /** Counts one more message on {@code channel}: message count, last message time, expiry and index. */
    void recordMessage(String channel);
}
