/**
 * One answer at a time per channel, in arrival order, across every instance sharing Redis:
 * {@link io.assistantstream.lease.ChannelLease} keeps each channel's FIFO line ({@code lease:}) and each
 * ticket's liveness key ({@code lease-alive:}) in Redis, renews them from one background thread, and
 * skips the tickets of instances that died. A holder whose renewals fail for too long, or find another
 * ticket first, takes its lease for lost and says so; each ticket is also a
 * {@link io.assistantstream.lease.Fence}, which a write made under the lease checks in Redis.
 *
 * <p>It knows Redis and channel names only: nothing of messages, RabbitMQ, answers or frames. It owns
 * the {@code lease:} and {@code lease-alive:} keys, and no other package writes them; the frames'
 * scripts read them only as a {@code Fence} says.
 */
package io.assistantstream.lease;
