package io.assistantstream.store;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory {@link ConversationStore}: channel → conversation and its message count; nothing expires. */
public final class InMemoryConversationStore implements ConversationStore {
    private final Map<String, ChannelConversation> conversations = new ConcurrentHashMap<>();

    @Override
    public Optional<ChannelConversation> recordMessage(String channel) {
        return Optional.ofNullable(conversations.computeIfPresent(channel, (c, known) ->
                new ChannelConversation(c, known.id(), known.messageCount() + 1, "0")));
    }

    @Override
    public ChannelConversation map(String channel, String conversationId, String backend) {
        ChannelConversation mapped = new ChannelConversation(channel, conversationId, 1, "0");
        conversations.put(channel, mapped);
        return mapped;
    }

    /** The conversation {@code channel} is mapped to, if any. */
    public Optional<ChannelConversation> conversation(String channel) {
        return Optional.ofNullable(conversations.get(channel));
    }
}
