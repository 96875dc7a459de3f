/**
 * Stopping answers from anywhere: which messages are in flight on any instance (waiting in their
 * channel's line or being answered), cancel requests from {@code /ws}, {@code /admin} or the input
 * queue, and carrying each one to the instance that holds its message
 * ({@link io.assistantstream.steering.CancelBoard}). It owns the Redis keys {@code inflight:} and
 * {@code cancel:} and the pub/sub channel {@code cancels}. How an answer stops is the answer's own
 * business ({@link io.assistantstream.answer.Cancellation}); this only finds it and asks.
 */
package io.assistantstream.steering;
