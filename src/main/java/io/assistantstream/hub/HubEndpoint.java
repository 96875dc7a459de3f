package io.assistantstream.hub;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;

import io.assistantstream.access.ChannelAccess;
import io.assistantstream.access.ChannelGrant;
import io.assistantstream.access.ConnectionTokens;
import io.assistantstream.access.TokenRejectedException;
import io.assistantstream.message.Identifiers;
import io.assistantstream.observe.Meters;
import io.assistantstream.steering.CancelRequests;

/**
 * One WebSocket client of {@code /ws}. Accepts both subscribe forms
 * ({@code {"action":"subscribe","channel":C}} and {@code {"type":"subscribe","payload":{"channel":C}}}),
 * each with an optional {@code since} (resume after that seq; 0: all the log holds),
 * {@code format} ({@code "delta"}: in_progress frames without the answer so far) and {@code token},
 * the matching unsubscribes, and {@code {"action":"auth","token":T}}; answers
 * {@code subscribed}/{@code unsubscribed}/{@code authorized}, or an {@code error} reply for anything
 * malformed or not allowed, and keeps the connection open.
 *
 * <p>With channel tokens required ({@link ChannelAccess#required()}), the handshake needs a valid
 * token ({@code ?token=}, or {@code Authorization: Bearer} for clients that can set headers) or is
 * refused with 401; each subscribe needs a live token that grants its channel (else a
 * {@code forbidden} error), and when the last token granting a subscribed channel expires, that
 * subscription ends with a {@code token_expired} error. Past the connection limit a client is
 * closed with 1013 as soon as it opens; past its message rate, messages are ignored with an error
 * reply (at most one a second).
 */
public final class HubEndpoint implements WsListener {
    private static final Logger LOG = Logger.getLogger(HubEndpoint.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest client message accepted; subscribe commands are tiny. */
    static final int MAX_CLIENT_MESSAGE_CHARS = 16 * 1024;

    /**
     * What one connection may do: JSON (chars) waiting for it, the longest channel name, channels at
     * once, and messages a second on average (in bursts of up to {@code maxSubscriptions}, so a page
     * may subscribe to all its channels at once).
     */
    public record Limits(int sendQueueBytes, int maxIdChars, int maxSubscriptions, int messagesPerSecond) {
    }

    private final SubscriberHub hub;
    private final ChannelAccess access;
    private final CancelRequests cancels;
    private final Limits limits;
    private final Meters meters;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private final ConnectionTokens tokens = new ConnectionTokens();
    private final StringBuilder partial = new StringBuilder();
    private final AtomicBoolean left = new AtomicBoolean();
    private final ClientMessageRate rate;
    /** When the last "too many messages" reply went out (nanos); one a second at most. */
    private long lastRateReply = Long.MIN_VALUE;
    private volatile ClientWriter writer;
    private Future<?> expiryCheck;

    public HubEndpoint(SubscriberHub hub, ChannelAccess access, Limits limits) {
        this(hub, access, limits, CancelRequests.NONE);
    }

    /** With cancels: {@code {"action":"cancel","channel":C,"message_id":M}} goes to {@code cancels}. */
    public HubEndpoint(SubscriberHub hub, ChannelAccess access, Limits limits, CancelRequests cancels) {
        this.hub = hub;
        this.access = access;
        this.cancels = cancels;
        this.limits = limits;
        this.meters = hub.meters();
        this.rate = new ClientMessageRate(limits.messagesPerSecond(),
                Math.max(limits.messagesPerSecond(), limits.maxSubscriptions()), System.nanoTime());
    }

    /**
     * The handshake: with channel tokens required, a valid one ({@code ?token=} or
     * {@code Authorization: Bearer}) or 401, no upgrade. The token itself is never logged.
     */
    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) {
        if (!access.required()) {
            return Optional.empty();
        }
        String token = prologue.query().first("token").orElse(null);
        if (token == null) {
            String authorization = headers.first(HeaderNames.AUTHORIZATION).orElse("");
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                token = authorization.substring(7).strip();
            }
        }
        if (token == null || token.isEmpty()) {
            throw unauthorized("a channel token is required: add ?token=<JWT> to the URL (or send Authorization:"
                    + " Bearer <JWT>)");
        }
        try {
            tokens.add(access.verify(token), access.now());
        } catch (TokenRejectedException e) {
            throw unauthorized(e.getMessage());
        }
        return Optional.empty();
    }

    private static RequestException unauthorized(String why) {
        return RequestException.builder()
                .type(DirectHandler.EventType.OTHER)
                .status(Status.UNAUTHORIZED_401)
                .header(HeaderValues.create(HeaderNames.WWW_AUTHENTICATE, "Bearer"))
                .message(why)
                .safeMessage(true) // says why in words, never the token
                .build();
    }

    @Override
    public void onOpen(WsSession session) {
        writer = new ClientWriter(session, limits.sendQueueBytes(), hub.pingInterval(), this::leave, meters);
        if (!hub.join(writer)) {
            left.set(true);
            writer.refuse(WsCloseCodes.TRY_AGAIN_LATER, "too many connections on this instance: at most "
                    + hub.maxConnections() + "; try again later");
            return;
        }
        scheduleExpiryCheck();
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        writer.heard();
        if (left.get()) {
            return;
        }
        if (partial.length() + text.length() > MAX_CLIENT_MESSAGE_CHARS) {
            partial.setLength(0);
            reply(error("message too large: at most " + MAX_CLIENT_MESSAGE_CHARS + " characters"));
            return;
        }
        partial.append(text);
        if (last) {
            String message = partial.toString();
            partial.setLength(0);
            if (withinRate()) {
                reply(handle(message));
            }
        }
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        writer.heard();
        if (last && !left.get() && withinRate()) {
            reply(error("binary messages are not supported; send JSON text"));
        }
    }

    /** Whether a message is within the client's rate; one that is not is ignored, and said so once a second. */
    private boolean withinRate() {
        long now = System.nanoTime();
        if (rate.take(now)) {
            return true;
        }
        meters.websocketMessagesRefused().increment();
        if (lastRateReply == Long.MIN_VALUE || now - lastRateReply >= 1_000_000_000L) {
            lastRateReply = now;
            reply(error("too many messages: at most " + limits.messagesPerSecond() + " a second; this one, and any"
                    + " more within the second, are ignored").put("code", "rate_limited"));
        }
        return false;
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
        if (action.equals("auth")) {
            return authorize(fields.get("token"));
        }
        if (!action.equals("subscribe") && !action.equals("unsubscribe") && !action.equals("cancel")) {
            return error("unknown action '" + action + "': use subscribe, unsubscribe, cancel or auth");
        }
        if (!channelNode.isTextual()) {
            return error(action + " needs a string 'channel'");
        }
        String channel = channelNode.asText();
        String problem = Identifiers.problem(channel, limits.maxIdChars());
        if (problem != null) {
            return error("channel " + problem);
        }
        if (action.equals("cancel")) {
            return cancel(channel, fields.get("message_id"));
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
            JsonNode token = fields.get("token");
            if (token != null && !token.isNull()) {
                ObjectNode refused = addToken(token);
                if (refused != null) {
                    return refused.put("channel", channel);
                }
            }
            if (access.required() && !tokens.allows(channel, access.now())) {
                return error("no token of this connection grants channel " + channel + ": present one whose"
                        + " 'channels' claim names it (on this subscribe, or with {\"action\":\"auth\",\"token\":…})")
                        .put("code", "forbidden").put("channel", channel);
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
     * {@code {"action":"cancel","channel":C,"message_id":M}}: stops that message's answer wherever it
     * runs or waits; with channel tokens, only on a channel a live token grants.
     */
    private ObjectNode cancel(String channel, JsonNode messageIdNode) {
        if (messageIdNode == null || !messageIdNode.isTextual()) {
            return error("cancel needs a string 'message_id'").put("channel", channel);
        }
        String messageId = messageIdNode.asText();
        String problem = Identifiers.problem(messageId, limits.maxIdChars());
        if (problem != null) {
            return error("message_id " + problem).put("channel", channel);
        }
        if (access.required() && !tokens.allows(channel, access.now())) {
            return error("no token of this connection grants channel " + channel + ": it may not cancel there")
                    .put("code", "forbidden").put("channel", channel).put("message_id", messageId);
        }
        boolean cancelling;
        try {
            cancelling = cancels.cancel(channel, messageId);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Could not cancel message " + messageId + " of channel " + channel, e);
            return error("could not cancel right now (the service could not reach its Redis); try again")
                    .put("channel", channel).put("message_id", messageId);
        }
        meters.cancels("ws", cancelling ? "cancelling" : "not_running").increment();
        if (!cancelling) {
            return error("message " + messageId + " of channel " + channel + " is not running: it finished, or was"
                    + " never received").put("code", "not_running").put("channel", channel)
                    .put("message_id", messageId);
        }
        return JSON.createObjectNode().put("type", "cancelling").put("channel", channel).put("message_id", messageId);
    }

    /** {@code {"action":"auth","token":T}}: adds or refreshes a token; says what it grants until when. */
    private ObjectNode authorize(JsonNode token) {
        if (!access.required()) {
            return error("this service does not use channel tokens (WEBSOCKET_AUTH is none): every channel is"
                    + " readable without one").put("code", "auth_not_used");
        }
        ObjectNode refused = addToken(token);
        if (refused != null) {
            return refused;
        }
        ObjectNode reply = JSON.createObjectNode().put("type", "authorized");
        tokens.nextExpiry(access.now()).ifPresent(next -> reply.put("next_expiry", next.getEpochSecond()));
        return reply;
    }

    /** Verifies and keeps a token; null when it was kept, else the error reply. */
    private ObjectNode addToken(JsonNode token) {
        if (token == null || !token.isTextual() || token.asText().isEmpty()) {
            return error("'token' must be a JWT string").put("code", TokenRejectedException.INVALID);
        }
        if (!access.required()) {
            return null; // nothing to check: every channel is readable
        }
        ChannelGrant grant;
        try {
            grant = access.verify(token.asText());
        } catch (TokenRejectedException e) {
            return error(e.getMessage()).put("code", e.code());
        }
        if (!tokens.add(grant, access.now())) {
            return error("this connection holds " + ConnectionTokens.MAX_TOKENS + " live tokens, the most it may: send"
                    + " a new one once one of them expired").put("code", "too_many_tokens");
        }
        scheduleExpiryCheck();
        return null;
    }

    /** Checks the subscriptions again when the next token expires. */
    private synchronized void scheduleExpiryCheck() {
        if (!access.required() || left.get()) {
            return;
        }
        if (expiryCheck != null) {
            expiryCheck.cancel(false);
            expiryCheck = null;
        }
        Optional<Instant> next = tokens.nextExpiry(access.now());
        next.ifPresent(at -> expiryCheck = hub.at(at, this::endExpiredSubscriptions));
    }

    /**
     * Ends each subscription no live token grants any more, each with a {@code token_expired} error,
     * then waits for the next expiry; a channel Redis could not unsubscribe now ends here all the same.
     */
    private void endExpiredSubscriptions() {
        try {
            Instant now = access.now();
            for (String channel : channels) {
                if (!tokens.allows(channel, now) && channels.remove(channel)) {
                    meters.websocketSubscriptions().decrementAndGet();
                    try {
                        hub.unsubscribe(channel, writer);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "Could not unsubscribe channel " + channel + " in Redis", e);
                    }
                    reply(tokenExpired(channel)); // once its frames stopped: none follows the error
                }
            }
        } finally {
            scheduleExpiryCheck();
        }
    }

    private static ObjectNode tokenExpired(String channel) {
        return error("the tokens that granted channel " + channel + " have expired: send {\"action\":\"auth\","
                + "\"token\":…} with a fresh one, then subscribe again with since to miss nothing")
                .put("code", TokenRejectedException.EXPIRED).put("channel", channel);
    }

    /**
     * Subscribes, or subscribes again with the new {@code since} and format; the hub queues the
     * acknowledgement itself, ahead of the channel's frames.
     */
    private void subscribe(String channel, Long since, boolean delta) {
        boolean again = channels.contains(channel);
        if (!again && channels.size() >= limits.maxSubscriptions()) {
            reply(error("too many subscriptions: at most " + limits.maxSubscriptions() + " per connection")
                    .put("code", "too_many_subscriptions"));
            return;
        }
        try {
            hub.subscribe(channel, writer, since, delta);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Could not subscribe a client to channel " + channel, e);
            reply(error("could not subscribe to " + channel + " right now (the service could not reach its Redis);"
                    + " try again").put("channel", channel));
            return;
        }
        if (channels.add(channel)) { // also when an expiry check removed it while this subscribed again
            meters.websocketSubscriptions().incrementAndGet();
        }
        // Checked again once added: an expiry check that ran while this subscribed did not see the channel.
        boolean expired = access.required() && !tokens.allows(channel, access.now());
        if ((left.get() || expired) && channels.remove(channel)) { // dropped meanwhile (keep-alive), or expired: undo
            meters.websocketSubscriptions().decrementAndGet();
            hub.unsubscribe(channel, writer);
            if (expired) {
                reply(tokenExpired(channel));
            }
        }
    }

    /** Cleans up after the session, once (onError may be followed by onClose). */
    private void leave() {
        ClientWriter current = writer;
        if (current == null || !left.compareAndSet(false, true)) {
            return;
        }
        synchronized (this) {
            if (expiryCheck != null) {
                expiryCheck.cancel(false);
            }
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
