/**
 * RabbitMQ and the life of each delivery: the topology (input exchange and queue, dead-letter
 * exchange and queue), consuming with prefetch, validating bodies into a
 * {@link io.assistantstream.message.ChatRequest}, and settling every delivery exactly once: ack after
 * its terminal frame, requeue after an infrastructure failure or a channel lease lost mid-answer
 * (the answer stopped, its thread interrupted), dead letter (with the reason) for bad input and failed
 * answers. It also owns stopping (cancel, grace, requeue the rest) and
 * {@link io.assistantstream.intake.QueueProducer}, which publishes messages the way an app backend
 * does, under the same validation.
 *
 * <p>It is the only package that talks to RabbitMQ. It is also, as the code stands, the conductor of
 * a delivery: it joins the channel's lease line, checks the dedup record
 * ({@link io.assistantstream.store.AnsweredMessages}), calls the
 * {@link io.assistantstream.answer.Responder}, and itself publishes the error frame of a rejected or
 * crashed delivery. It classifies lettuce's {@code RedisException} to decide on a requeue, but opens
 * no Redis connection, and it never speaks HTTP to OpenAI. Nothing imports it but the wiring, the
 * admin routes and the command line (for {@link io.assistantstream.intake.QueueProducer}).
 */
package io.assistantstream.intake;
