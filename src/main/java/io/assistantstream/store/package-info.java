/**
 * State kept in Redis about conversations: the channel → conversation mapping with its metadata and
 * index ({@link io.assistantstream.store.ConversationStore},
 * {@link io.assistantstream.store.RedisConversationStore}: {@code thread:}, {@code metadata:},
 * {@code channels}, with a sliding expiry), the assistants backend's assistant id
 * ({@link io.assistantstream.store.AssistantIdStore}: {@code assistant_id}), the chat backend's
 * conversations ({@link io.assistantstream.store.ChatHistory}: {@code history:}), and the lookup of
 * messages already answered ({@link io.assistantstream.store.AnsweredMessages}, which defines the
 * {@code answered:} key).
 *
 * <p>It knows Redis only: no HTTP, RabbitMQ or frames. Two of its keys are also handled elsewhere:
 * the {@code answered:} records are written by the frame publisher, in the call that publishes a
 * {@code completed} frame, and the admin package reads and deletes the mapping keys (and deletes the
 * {@code history:} with them) directly.
 */
package io.assistantstream.store;
