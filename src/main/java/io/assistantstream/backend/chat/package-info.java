/**
 * The Chat Completions wire protocol ({@code OPENAI_API=chat}), which every OpenAI-compatible model
 * server speaks: no conversation upstream, so each round is a streaming {@code POST /chat/completions}
 * carrying the channel's history from {@link io.assistantstream.store.ChatHistory}; tool calls are
 * assembled from their streamed fragments and answered with {@code role:"tool"} messages.
 *
 * <p>Only the protocol lives here: requests go through the shared
 * {@link io.assistantstream.backend.OpenAiClient} (retries, timeouts, error answers), tool rounds
 * are {@link io.assistantstream.backend.ToolRounds}', and text reaches clients only through the
 * {@link io.assistantstream.backend.AnswerSink}. Redis is reached only through the history.
 */
package io.assistantstream.backend.chat;
