/**
 * One answer at a time per channel, in arrival order, across every instance sharing Redis:
 * {@link io.assistantstream.lease.ChannelLease} keeps each channel's FIFO line ({@code lease:}) and each
 * ticket's liveness key ({@code lease-alive:}) in Redis, renews them from one background thread, and
 * skips the tickets of instances that died.
 *
 * <p>It knows Redis and channel names only: nothing of messages, RabbitMQ, answers or frames. It owns
 * the {@code lease:} and {@code lease-alive:} keys, and no other package reads or writes them.
 */
package io.assistantstream.lease;
