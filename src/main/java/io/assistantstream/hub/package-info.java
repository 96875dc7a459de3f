/**
 * The embedded {@code /ws} endpoint: the handshake and its origin check
 * ({@link io.assistantstream.hub.OriginCheckingUpgrader}, {@link io.assistantstream.hub.AllowedOrigins}),
 * the client protocol ({@link io.assistantstream.hub.HubEndpoint}), one bounded queue and writer
 * thread per client ({@code ClientWriter}), the keep-alive pings ({@code KeepAlive}), and the Redis
 * pub/sub subscriptions for exactly the channels this instance's clients want
 * ({@link io.assistantstream.hub.SubscriberHub}). Not used in relay mode.
 *
 * <p>It gets frames only from Redis pub/sub, never from the publisher in-process, so a client sees
 * every instance's answers alike. It writes no Redis key (it only subscribes), knows nothing of
 * RabbitMQ, answers or the model, and never lets one client slow the fan-out or another client. It
 * uses the channel-name rule of {@link io.assistantstream.message.Identifiers} and the topic name
 * ({@link io.assistantstream.frames.RedisFramePublisher#topic}).
 */
package io.assistantstream.hub;
