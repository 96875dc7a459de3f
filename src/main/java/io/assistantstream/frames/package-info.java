/**
 * Frames, from an answer's events to this instance's subscribers, the channel's log in Redis and the
 * other instances: the wire format ({@link io.assistantstream.frames.Frame},
 * {@link io.assistantstream.frames.Status}, {@link io.assistantstream.frames.JsonText}, and
 * {@link io.assistantstream.frames.NumberedFrame}, a frame with its {@code seq} in the whole and the
 * delta format), the order and batching within one answer
 * ({@link io.assistantstream.frames.AnswerFrames}), the per-channel {@code seq}, and sending. A
 * {@link io.assistantstream.frames.ChannelTurn} ({@link io.assistantstream.frames.FramePublisher#turn})
 * numbers a channel's frames from a block of seqs it reserved in Redis, and gives back the rest when
 * closed. A turn opened under a lease's {@link io.assistantstream.lease.Fence} writes only while that
 * lease is its own: its scripts refuse a turn whose ticket is no longer first in the channel's line.
 * {@link io.assistantstream.frames.RedisFramePublisher} hands each frame at once to this
 * instance's subscribers ({@link io.assistantstream.frames.LocalDelivery}; a terminal frame only once
 * logged), then logs and publishes frames in one Lua call per batch (recording a completed message's
 * {@code answered:} key in the same call), or, in relay mode, logs them and hands them in order to the
 * {@link io.assistantstream.frames.RelayConnection}. {@link io.assistantstream.frames.FrameLog} reads
 * a channel's frames after a seq back, joined with this instance's frames not logged yet, and
 * {@link io.assistantstream.frames.Replay} rebuilds and coalesces them for a resuming client.
 *
 * <p>It owns the Redis keys {@code seq:}, {@code log:} and {@code text:} and the pub/sub channels
 * {@code frames:} (the admin deletes a channel's {@code log:} and {@code text:} with its mapping); the
 * format of the {@code answered:} key is {@link io.assistantstream.store.AnsweredMessages}'. It knows
 * nothing of RabbitMQ, conversations or the model, and takes no lease: its callers open a channel's
 * turns one at a time, under the channel's lease. It never subscribes to Redis, and reaches this
 * instance's {@code /ws} clients only through {@code LocalDelivery}, which the hub implements.
 */
package io.assistantstream.frames;
