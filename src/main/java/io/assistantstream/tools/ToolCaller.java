package io.assistantstream.tools;

/**
 * The answer a tool call is made for: its channel, message and conversation ({@code thread_id}). A
 * tool served elsewhere is told them, so it can act for the right user; built-in tools ignore them.
 */
public record ToolCaller(String channel, String messageId, String threadId) {
}
