/**
 * Every setting: read once from {@code app.yaml} and the environment through Helidon config,
 * typed, validated (each value and the rules between them, such as the answer timeouts against
 * RabbitMQ's consumer timeout) and grouped in {@link io.assistantstream.config.Settings}, so each
 * component takes only its own group. A bad value fails the start with a message naming the
 * environment variable; secrets never appear in {@code toString}.
 *
 * <p>It holds values only: it opens no connection and starts nothing. Beyond the types of the
 * settings it builds ({@code access.ChannelAccess}, {@code steering.MultitaskPolicy}), it depends on
 * {@link io.assistantstream.hub.AllowedOrigins}, which parses {@code WEBSOCKET_ALLOWED_ORIGINS}, and
 * on {@link io.assistantstream.tools.ToolsFile}, which reads and validates {@code TOOLS_FILE}.
 */
package io.assistantstream.config;
