/**
 * One answer, from the moment its channel's lease is held to its terminal frame:
 * {@link io.assistantstream.answer.Responder} finds or creates the channel's conversation through
 * the {@link io.assistantstream.store.ConversationStore}, lets the
 * {@link io.assistantstream.backend.AssistantBackend} stream the answer into
 * {@link io.assistantstream.frames.AnswerFrames}, and ends with exactly one {@code completed} or
 * {@code error} frame, reported as an {@link io.assistantstream.answer.Outcome}.
 *
 * <p>It works only through those interfaces: it imports no Redis, RabbitMQ or HTTP client, and it
 * never settles a delivery (ack, requeue, dead letter are the intake's decision, made from the
 * outcome; an infrastructure failure simply propagates). It takes a
 * {@link io.assistantstream.message.ChatRequest} and knows nothing of where it came from: the intake
 * calls it, never the other way round.
 */
package io.assistantstream.answer;
