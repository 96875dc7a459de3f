/**
 * Sending in order without blocking the caller: {@link io.assistantstream.sending.OrderedSender}, one
 * thread per sender draining a bounded queue in batches, used for the frame publisher's Redis calls
 * (where a first item lingers a few milliseconds for others to join its batch, unless
 * {@link io.assistantstream.sending.OrderedSender#flush flushed}) and for the relay connection; and
 * {@link io.assistantstream.sending.Liveness}, the rule by which a pinged peer (a WebSocket client,
 * the relay) is taken for gone. It knows nothing of what it sends. A WebSocket client's writer is the
 * hub's own, since what waits for a client may still be merged.
 */
package io.assistantstream.sending;
