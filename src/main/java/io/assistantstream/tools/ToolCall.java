package io.assistantstream.tools;

/** One call the model asked for; {@code arguments} is the JSON text the model wrote. */
public record ToolCall(String callId, String name, String arguments) {
}
