/**
 * The functions the model may call ({@link io.assistantstream.tools.Tool}; today
 * {@link io.assistantstream.tools.WeatherTool}, which calls OpenWeather over HTTP) and the running of
 * one round of calls ({@link io.assistantstream.tools.ToolRegistry}): all at once, each on its own
 * virtual thread, bounded by the tool timeout, every failure turned into text for the model.
 *
 * <p>It knows the tools' own HTTP endpoints, not OpenAI's protocol: the backend turns the model's
 * calls into {@link io.assistantstream.tools.ToolCall}s and the results back. It never touches Redis,
 * RabbitMQ or frames, and a tool never fails an answer.
 */
package io.assistantstream.tools;
