/**
 * The command line of the jar: {@code --test-message}, {@code --generate-uuid},
 * {@code --show-thread-stats}, {@code --clear-old-threads} and {@code --clear-all-threads}, with
 * their exit codes and confirmations.
 *
 * <p>It drives the service's own classes rather than re-implementing them: thread commands open a
 * Redis connection of their own and use {@link io.assistantstream.admin.ConversationAdmin}; a test message
 * is published with the intake's {@link io.assistantstream.intake.QueueProducer} and read back over
 * a WebSocket like any client, starting an {@link io.assistantstream.AssistantStream} inside the
 * command when no service answers. Nothing in the running service depends on this package; only
 * {@link io.assistantstream.Main} calls it.
 */
package io.assistantstream.cli;
