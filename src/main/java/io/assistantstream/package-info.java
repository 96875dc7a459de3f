/**
 * The service as a process: {@link io.assistantstream.Main} reads the settings, sets up logging and
 * the stop signals, and either runs one command of the command line or starts the service;
 * {@link io.assistantstream.AssistantStream} is the wiring. It opens the Redis connections and the
 * HTTP client, builds every component with only what it needs, starts them in order (the RabbitMQ
 * intake last, so no delivery arrives before everything it needs is up) and closes them in the
 * opposite order.
 *
 * <p>It decides which implementations run (the backend named by {@code OPENAI_API}, the hub or the
 * relay by {@code WEBSOCKET_MODE}) and holds no logic of its own about messages, frames or wire
 * protocols: it constructs and connects, and the packages do the work. It imports every package;
 * only {@code cli} imports it back (to start a service inside a command). See
 * {@code docs/ARCHITECTURE.md}.
 */
package io.assistantstream;
