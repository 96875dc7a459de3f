package io.assistantstream.store;

/**
 * A channel's conversation as the store counts it, the message being answered included:
 * {@code lastMessageAt} is in epoch seconds with milliseconds, like a frame's timestamp.
 */
public record ChannelConversation(String channel, String id, long messageCount, String lastMessageAt) {
}
