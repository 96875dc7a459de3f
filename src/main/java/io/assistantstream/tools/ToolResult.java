package io.assistantstream.tools;

/** The output of one {@link ToolCall}, matched by {@code callId}. */
public record ToolResult(String callId, String output) {
}
