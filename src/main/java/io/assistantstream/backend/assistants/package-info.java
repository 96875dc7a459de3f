/**
 * The Assistants v2 wire protocol ({@code OpenAI-Beta: assistants=v2}), for servers that still speak
 * it: one assistant for the service, verified or created at start; a thread per channel; each answer
 * a message plus a streamed run, with tool outputs submitted as the run requires them; runs left
 * active are cancelled, and a failed answer's run is cancelled before the channel is given up.
 *
 * <p>Every request goes through the shared {@link io.assistantstream.backend.OpenAiClient}. The
 * assistant's id is the one piece of state it keeps in Redis, and only through
 * {@link io.assistantstream.store.AssistantIdStore}; it holds no Redis connection of its own and
 * never touches RabbitMQ or frames (text goes to the {@link io.assistantstream.backend.AnswerSink}).
 */
package io.assistantstream.backend.assistants;
