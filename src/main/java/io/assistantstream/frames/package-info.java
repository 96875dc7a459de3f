/**
 * Frames, from an answer's events to their fan-out: the wire format ({@link io.assistantstream.frames.Frame},
 * {@link io.assistantstream.frames.Status}, {@link io.assistantstream.frames.JsonText}), the order and
 * batching within one answer ({@link io.assistantstream.frames.AnswerFrames}), the per-channel
 * {@code seq}, and sending: {@link io.assistantstream.frames.RedisFramePublisher} numbers frames and
 * publishes them on Redis pub/sub in one Lua call (recording a completed message's {@code answered:}
 * key in the same call), or hands them in order to the
 * {@link io.assistantstream.frames.RelayConnection} in relay mode.
 *
 * <p>It owns the Redis keys {@code seq:} and the pub/sub channels {@code frames:}; the format of the
 * {@code answered:} key is {@link io.assistantstream.store.AnsweredMessages}'. It knows nothing of
 * RabbitMQ, conversations or the model, and it does not deliver to {@code /ws} clients: the hub reads
 * what it publishes from Redis like any other instance's.
 */
package io.assistantstream.frames;
