/**
 * What the service reports about itself: {@link io.assistantstream.observe.Meters}, the metrics in
 * Helidon's registry served at {@code /observe/metrics}, and
 * {@link io.assistantstream.observe.DependencyChecks}, the health checks of Redis, RabbitMQ and
 * OpenAI served at {@code /observe/health}.
 *
 * <p>It observes and never acts: the checks only probe (a {@code PING}, a queue count, a TCP
 * connection) and change no state, and the meters only count. It imports no other package of the
 * service, while most of them take the one {@code Meters} instance the wiring builds at start.
 * RabbitMQ is reached only through the probes the wiring hands in.
 */
package io.assistantstream.observe;
