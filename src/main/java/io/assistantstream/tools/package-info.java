/**
 * The functions the model may call ({@link io.assistantstream.tools.Tool}): the built-in
 * {@link io.assistantstream.tools.WeatherTool}, which calls OpenWeather over HTTP, and the tools
 * {@code TOOLS_FILE} declares ({@link io.assistantstream.tools.ToolsFile} reads and validates the file
 * into {@link io.assistantstream.tools.DeclaredTool}s; each is an {@link io.assistantstream.tools.HttpTool}
 * that POSTs the call to its endpoint). {@link io.assistantstream.tools.ToolRegistry} runs one round of
 * calls: all at once, each on its own virtual thread, bounded by its tool's timeout and the answer's
 * {@link io.assistantstream.backend.Deadline}, every failure turned into text for the model and every
 * output capped ({@code TOOL_OUTPUT_MAX_BYTES}).
 *
 * <p>It knows the tools' own HTTP endpoints, not OpenAI's protocol: the backend turns the model's
 * calls into {@link io.assistantstream.tools.ToolCall}s and the results back. It never touches Redis,
 * RabbitMQ or frames, and a tool never fails an answer. Header values of declared tools are secrets:
 * never logged, never in an error text.
 */
package io.assistantstream.tools;
