/**
 * {@code OPENAI_API=echo}: a backend with no model server at all, so the service, the page at
 * {@code /} and the whole pipeline can be tried without a key. Each message is streamed back word
 * by word at a human pace ({@code ECHO_WORD_MS}); a question about the weather in a city runs the
 * real {@code get_weather} tool through the shared {@link io.assistantstream.backend.ToolRounds}
 * when {@code OPENWEATHER_API_KEY} is set, and says its result.
 *
 * <p>Like the other backends it answers only through the
 * {@link io.assistantstream.backend.AnswerSink}: cancels, deadlines and frames work as they do for a
 * real model server.
 */
package io.assistantstream.backend.echo;
