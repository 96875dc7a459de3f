/**
 * What a chat message is, shared by everything that handles one: the {@link
 * io.assistantstream.message.ChatRequest} (channel, message id, text) and the rule for channel names
 * and message ids ({@link io.assistantstream.message.Identifiers}). Plain values: it knows no
 * transport, store or backend, and every other package may use it.
 */
package io.assistantstream.message;
