/**
 * The default wire protocol, OpenAI Responses + Conversations: one conversation per channel
 * ({@code POST /conversations}), each answer a streaming {@code POST /responses} on it, each round of
 * function calls followed by another response carrying their outputs.
 *
 * <p>Only the protocol lives here: every request goes through the shared
 * {@link io.assistantstream.backend.OpenAiClient}, retries and timeouts are that client's, and tool
 * rounds are {@link io.assistantstream.backend.ToolRounds}'. It touches no Redis, RabbitMQ or
 * frames; text reaches clients only through the {@link io.assistantstream.backend.AnswerSink}.
 */
package io.assistantstream.backend.responses;
