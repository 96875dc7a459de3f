/**
 * HTTP to OpenAI and what every wire protocol shares: {@link io.assistantstream.backend.OpenAiClient}
 * (authentication, JSON, server-sent events read blocking on the answer's thread, retries the way
 * the official SDKs do them), the timeouts ({@link io.assistantstream.backend.Deadline},
 * {@link io.assistantstream.backend.StreamWatchdog}), the tool rounds
 * ({@link io.assistantstream.backend.ToolRounds}) and the
 * {@link io.assistantstream.backend.AssistantBackend} contract. Each protocol is a sub-package:
 * {@code backend.responses}, {@code backend.assistants} and {@code backend.chat}; {@code backend.echo}
 * answers with no model server at all.
 *
 * <p>A backend knows HTTP and the model's wire protocols, and answers only through an
 * {@link io.assistantstream.backend.AnswerSink}: it never builds or publishes frames, never sees
 * RabbitMQ or WebSockets, and this package opens no Redis connection. Three contacts with Redis exist
 * as the code stands: {@code OpenAiClient} recognises lettuce's {@code RedisException} (thrown by the
 * sink when frames cannot be published) so that an outage is passed on instead of being taken for a
 * broken stream, {@code backend.assistants} keeps its assistant id through
 * {@link io.assistantstream.store.AssistantIdStore}, and {@code backend.chat} keeps each channel's
 * conversation through {@link io.assistantstream.store.ChatHistory}.
 */
package io.assistantstream.backend;
