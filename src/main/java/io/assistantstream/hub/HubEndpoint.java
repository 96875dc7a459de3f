package io.assistantstream.hub;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;

import io.assistantstream.message.Identifiers;
import io.assistantstream.observe.Meters;

/**
 * One WebSocket client of {@code /ws}. Accepts both subscribe forms
 * ({@code {"action":"subscribe","channel":C}} and {@code {"type":"subscribe","payload":{"channel":C}}}),
 * each with an optional {@code since} (resume after that seq; 0: all the log holds) and
 * {@code format} ({@code "delta"}: in_progress frames without the answer so far), and the matching
 * unsubscribes; answers {@code subscribed}/{@code unsubscribed}, or an {@code error} reply for
 * anything malformed, and keeps the connection open.
 */
public final class HubEndpoint implements WsListener {
    private static final Logger LOG = Logger.getLogger(HubEndpoint.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest client message accepted; subscribe commands are tiny. */
    static final int MAX_CLIENT_MESSAGE_CHARS = 16 * 1024;

    private final SubscriberHub hub;
    private final Meters meters;
    private final int sendQueueBytes;
    private final int maxIdChars;
    private final int maxSubscriptions;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private final StringBuilder partial = new StringBuilder();
    private final AtomicBoolean left = new AtomicBoolean();
    private volatile ClientWriter writer;

    public HubEndpoint(SubscriberHub hub, int sendQueueBytes, int maxIdChars, int maxSubscriptions) {
        this.hub = hub;
        this.meters = hub.meters();
        this.sendQueueBytes = sendQueueBytes;
        this.maxIdChars = maxIdChars;
        this.maxSubscriptions = maxSubscriptions;
    }

    @Override
    public void onOpen(WsSession session) {
        writer = new ClientWriter(session, sendQueueBytes, hub.pingInterval(), this::leave, meters);
        hub.join(writer);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        writer.heard();
        if (partial.length() + text.length() > MAX_CLIENT_MESSAGE_CHARS) {
            partial.setLength(0);
            reply(error("message too large: at most " + MAX_CLIENT_MESSAGE_CHARS + " characters"));
            return;
        }
        partial.append(text);
        if (last) {
            String message = partial.toString();
            partial.setLength(0);
            reply(handle(message));
        }
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        writer.heard();
        if (last) {
            reply(error("binary messages are not supported; send JSON text"));
        }
    }

    @Override
    public void onPong(WsSession session, BufferData buffer) {
        writer.heard();
    }

    /** Answers a client's ping, as RFC 6455 asks (Helidon leaves it to the listener). */
    @Override
    public void onPing(WsSession session, BufferData buffer) {
        writer.heard();
        try {
            session.pong(buffer);
        } catch (RuntimeException e) {
            LOG.fine(() -> "Could not answer a ping: " + e);
        }
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        leave();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        LOG.fine(() -> "WebSocket error: " + t);
        leave();
    }

    private ObjectNode handle(String message) {
        JsonNode command;
        try {
            command = JSON.readTree(message);
        } catch (JsonProcessingException e) {
            return error("not JSON: " + e.getOriginalMessage());
        }
        if (command == null || !command.isObject()) {
            return error("expected a JSON object");
        }
        String action = command.path("action").asText(command.path("type").asText(""));
        JsonNode fields = command.has("channel") || !command.path("payload").isObject() ? command : command.get("payload");
        JsonNode channelNode = fields.path("channel");
        if (!action.equals("subscribe") && !action.equals("unsubscribe")) {
            return error("unknown action '" + action + "': use subscribe or unsubscribe");
        }
        if (!channelNode.isTextual()) {
            return error(action + " needs a string 'channel'");
        }
        String channel = channelNode.asText();
        String problem = Identifiers.problem(channel, maxIdChars);
        if (problem != null) {
            return error("channel " + problem);
        }
        if (action.equals("subscribe")) {
            JsonNode since = fields.get("since");
            if (since != null && !since.isNull() && !(since.canConvertToExactIntegral() && since.canConvertToLong()
                    && since.asLong() >= 0)) {
                return error("'since' must be a whole number, 0 or more: the seq of the last frame you have of "
                        + channel + " (0 for all the log holds)");
            }
            JsonNode format = fields.get("format");
            if (format != null && !format.isNull() && !(format.isTextual()
                    && (format.asText().equals("delta") || format.asText().equals("whole")))) {
                return error("'format' must be \"delta\" (in_progress frames without the answer so far) or"
                        + " \"whole\" (the default)");
            }
            subscribe(channel, since == null || since.isNull() ? null : since.asLong(),
                    format != null && "delta".equals(format.asText()));
            return null;
        }
        if (channels.remove(channel)) {
            meters.websocketSubscriptions().decrementAndGet();
            hub.unsubscribe(channel, writer);
        }
        return JSON.createObjectNode().put("type", "unsubscribed").put("channel", channel);
    }

    /**
     * Subscribes, or subscribes again with the new {@code since} and format; the hub queues the
     * acknowledgement itself, ahead of the channel's frames.
     */
    private void subscribe(String channel, Long since, boolean delta) {
        boolean again = channels.contains(channel);
        if (!again && channels.size() >= maxSubscriptions) {
            reply(error("too many subscriptions: at most " + maxSubscriptions + " per connection"));
            return;
        }
        try {
            hub.subscribe(channel, writer, since, delta);
            if (again) {
                return;
            }
            channels.add(channel);
            meters.websocketSubscriptions().incrementAndGet();
            if (left.get() && channels.remove(channel)) { // dropped meanwhile (keep-alive): undo
                meters.websocketSubscriptions().decrementAndGet();
                hub.unsubscribe(channel, writer);
            }
        } catch (RuntimeException e) {
            reply(error("could not subscribe right now, try again: " + e.getMessage()));
        }
    }

    /** Cleans up after the session, once (onError may be followed by onClose). */
    private void leave() {
        ClientWriter current = writer;
        if (current == null || !left.compareAndSet(false, true)) {
            return;
        }
        for (String channel : channels) {
            if (!channels.remove(channel)) {
                continue; // a subscribe that raced with this undid itself
            }
            meters.websocketSubscriptions().decrementAndGet();
            try {
                hub.unsubscribe(channel, current);
            } catch (RuntimeException e) {
                LOG.fine(() -> "Could not unsubscribe " + channel + ": " + e);
            }
        }
        hub.leave(current);
        current.stop();
    }

    /** Sends a reply; null means the command already answered for itself. */
    private void reply(ObjectNode reply) {
        if (reply != null) {
            writer.offer(reply.toString());
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("type", "error").put("status", "error").put("message", message);
    }
}
