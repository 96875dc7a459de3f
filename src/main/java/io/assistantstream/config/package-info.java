/**
 * Every setting: read once from {@code app.yaml} and the environment through Helidon config,
 * typed, validated (each value and the rules between them, such as the answer timeouts against
 * RabbitMQ's consumer timeout) and grouped in {@link io.assistantstream.config.Settings}, so each
 * component takes only its own group. A bad value fails the start with a message naming the
 * environment variable; secrets never appear in {@code toString}.
 *
 * <p>It holds values only: it opens no connection and starts nothing. Its one dependency on another
 * package is {@link io.assistantstream.hub.AllowedOrigins}, which parses
 * {@code WEBSOCKET_ALLOWED_ORIGINS}.
 */
package io.assistantstream.config;
