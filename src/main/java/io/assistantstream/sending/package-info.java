/**
 * Sending in order without blocking the caller: {@link io.assistantstream.sending.OrderedSender}, one
 * thread per sender draining a bounded queue, used for each WebSocket client, for the frame
 * publisher's Redis calls and for the relay connection; and {@link io.assistantstream.sending.Liveness},
 * the rule by which a pinged peer (a client, the relay) is taken for gone. It knows nothing of what
 * it sends.
 */
package io.assistantstream.sending;
