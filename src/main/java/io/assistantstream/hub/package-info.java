/**
 * The embedded {@code /ws} endpoint: the handshake and its origin check
 * ({@link io.assistantstream.hub.OriginCheckingUpgrader}, {@link io.assistantstream.hub.AllowedOrigins}),
 * the client protocol ({@link io.assistantstream.hub.HubEndpoint}: subscribe, with {@code since} and
 * {@code format}, and unsubscribe), the fan-out of each channel's frames to this instance's
 * subscribers ({@link io.assistantstream.hub.SubscriberHub}, a {@code ChannelFanOut} per channel and
 * a {@code Subscription} per client and channel), one queue bounded in bytes and one writer thread per
 * client ({@code SendQueue}, {@code ClientWriter}), the keep-alive pings ({@code KeepAlive}), and the
 * Redis pub/sub subscriptions for exactly the channels this instance's clients want
 * ({@link io.assistantstream.hub.RedisFrameFeed}). Not used in relay mode.
 *
 * <p>Frames reach it two ways: those answered on this instance straight from the publisher, before
 * Redis has them ({@link io.assistantstream.frames.LocalDelivery}, which {@code SubscriberHub}
 * implements), and every instance's, this one's included, from Redis pub/sub. Each channel's fan-out
 * hands them on in seq order, each once, and reads what it missed from the frame log
 * ({@link io.assistantstream.frames.FrameLog}), as a resuming client's subscription does. It writes
 * no Redis key (it subscribes, and reads the log through {@code FrameLog}), knows nothing of RabbitMQ,
 * answers or the model, and never lets one client slow an answer, the fan-out or another client:
 * offering a frame to a client never blocks. It uses the channel-name rule of
 * {@link io.assistantstream.message.Identifiers}, the topic name
 * ({@link io.assistantstream.frames.RedisFramePublisher#topic}), the frames as
 * {@link io.assistantstream.frames.NumberedFrame}, and the liveness rule of
 * {@link io.assistantstream.sending.Liveness}.
 */
package io.assistantstream.hub;
