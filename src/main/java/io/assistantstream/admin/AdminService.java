package io.assistantstream.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.lettuce.core.RedisException;

import io.assistantstream.access.TokenMint;
import io.assistantstream.intake.QueueProducer;
import io.assistantstream.intake.RejectedRequestException;
import io.assistantstream.observe.Meters;
import io.assistantstream.steering.CancelRequests;

/**
 * The {@code /admin} routes: the command line's thread administration over HTTP, JSON in and out.
 * Every route needs {@code Authorization: Bearer <ADMIN_TOKEN>}; without a token configured they
 * all answer 403, so a service nobody secured exposes nothing.
 *
 * <pre>
 * GET    /admin/threads/stats                      the statistics
 * GET    /admin/threads/{channel}                  one mapping (404 when there is none)
 * DELETE /admin/threads/{channel}                  {"deleted": 0|1}
 * DELETE /admin/threads?older_than_days=N | all=true   {"deleted": n}
 * POST   /admin/messages {channel, message, message_id?}  202 {"message_id": …}
 * POST   /admin/messages/cancel {channel, message_id}    202 {"type": "cancelling", …}, 409 when not running
 * POST   /admin/tokens {channels, ttl_seconds, sub?}       {"token": …, "expires_at": epoch seconds}
 * </pre>
 *
 * <p>{@code /admin/tokens} mints a channel token with the service's own HS256 secret
 * ({@code WEBSOCKET_JWT_SECRET}; without it the route answers 404), so a backend that already holds
 * the admin token, or the demo page, can get one for a browser without a JWT library.
 */
public final class AdminService implements HttpService {
    private static final Logger LOG = Logger.getLogger(AdminService.class.getName());
    private static final ObjectMapper JSON = ConversationAdmin.JSON;

    private final ConversationAdmin conversations;
    private final QueueProducer producer;
    private final TokenMint mint;
    private final CancelRequests cancels;
    private final Meters meters;
    private final byte[] tokenDigest;

    /**
     * @param producer where {@code POST /admin/messages} publishes; null when {@code token} is empty
     * @param mint     mints channel tokens; null when the service has no HS256 secret
     * @param token    {@code ADMIN_TOKEN}; empty disables every route
     */
    public AdminService(ConversationAdmin conversations, QueueProducer producer, TokenMint mint, CancelRequests cancels,
                        Meters meters, String token) {
        this.conversations = conversations;
        this.producer = producer;
        this.mint = mint;
        this.cancels = cancels;
        this.meters = meters;
        this.tokenDigest = token.isEmpty() ? null : digest(token);
        if (tokenDigest == null) {
            LOG.info("The /admin routes answer 403: ADMIN_TOKEN is not set");
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::authorize)
                .get("/threads/stats", (req, res) -> json(res, Status.OK_200, conversations.stats()))
                .get("/threads/{channel}", this::thread)
                .delete("/threads/{channel}", (req, res) -> json(res, Status.OK_200,
                        Map.of("deleted", conversations.delete(channel(req)) ? 1 : 0)))
                .delete("/threads", this::deleteMany)
                .post("/messages/cancel", this::cancel)
                .post("/messages", this::message)
                .post("/tokens", this::token);
    }

    private void cancel(ServerRequest req, ServerResponse res) {
        JsonNode body = body(req, res);
        if (body == null) {
            return;
        }
        if (!body.isObject() || !body.path("channel").isTextual() || !body.path("message_id").isTextual()) {
            error(res, Status.BAD_REQUEST_400, "the body must be {\"channel\": …, \"message_id\": …}");
            return;
        }
        String channel = body.get("channel").asText();
        String messageId = body.get("message_id").asText();
        boolean cancelling = cancels.cancel(channel, messageId);
        meters.cancels("admin", cancelling ? "cancelling" : "not_running").increment();
        if (cancelling) {
            json(res, Status.ACCEPTED_202, Map.of("type", "cancelling", "channel", channel, "message_id", messageId));
        } else {
            json(res, Status.CONFLICT_409, Map.of("type", "error", "code", "not_running", "channel", channel,
                    "message_id", messageId, "message", "message " + messageId + " of channel " + channel
                            + " is not running: it finished, or was never received"));
        }
    }

    private void token(ServerRequest req, ServerResponse res) {
        if (mint == null) {
            error(res, Status.NOT_FOUND_404, "this service mints no tokens: set WEBSOCKET_JWT_SECRET (the HS256 key"
                    + " its channel tokens are checked with) to enable /admin/tokens");
            return;
        }
        JsonNode body = body(req, res);
        if (body == null) {
            return;
        }
        String usage = "the body must be {\"channels\": [names or prefixes ending in *], \"ttl_seconds\": N,"
                + " \"sub\": optional}";
        if (body == null || !body.isObject() || !body.path("channels").isArray()
                || !body.path("ttl_seconds").canConvertToExactIntegral()
                || body.has("sub") && !body.get("sub").isTextual()) {
            error(res, Status.BAD_REQUEST_400, usage);
            return;
        }
        List<String> channels = new ArrayList<>();
        for (JsonNode channel : body.get("channels")) {
            if (!channel.isTextual()) {
                error(res, Status.BAD_REQUEST_400, usage);
                return;
            }
            channels.add(channel.asText());
        }
        try {
            TokenMint.Minted minted = mint.mint(channels, Duration.ofSeconds(body.get("ttl_seconds").asLong()),
                    body.path("sub").asText(""));
            json(res, Status.OK_200, Map.of("token", minted.token(), "expires_at", minted.expires().getEpochSecond()));
        } catch (IllegalArgumentException e) {
            error(res, Status.BAD_REQUEST_400, e.getMessage());
        }
    }

    /** Lets a request with the right bearer token through, in time independent of how much of it matches. */
    private void authorize(ServerRequest req, ServerResponse res) {
        if (tokenDigest == null) {
            error(res, Status.FORBIDDEN_403, "the admin routes are disabled: set ADMIN_TOKEN to enable them");
            return;
        }
        String presented = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        boolean bearer = presented.regionMatches(true, 0, "Bearer ", 0, 7);
        if (!MessageDigest.isEqual(tokenDigest, digest(bearer ? presented.substring(7).strip() : "")) || !bearer) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
            error(res, Status.UNAUTHORIZED_401, "a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required");
            return;
        }
        try {
            res.next();
        } catch (RedisException e) {
            error(res, Status.SERVICE_UNAVAILABLE_503, "Redis is unavailable: " + e.getMessage());
        }
    }

    private void thread(ServerRequest req, ServerResponse res) {
        String channel = channel(req);
        Optional<ConversationAdmin.ConversationInfo> thread = conversations.thread(channel);
        if (thread.isEmpty()) {
            error(res, Status.NOT_FOUND_404, "no conversation is mapped to channel '" + channel + "'");
        } else {
            json(res, Status.OK_200, thread.get());
        }
    }

    private void deleteMany(ServerRequest req, ServerResponse res) {
        Optional<String> days = req.query().first("older_than_days").asOptional();
        boolean all = req.query().first("all").asOptional().filter("true"::equals).isPresent();
        if (days.isPresent() == all) {
            error(res, Status.BAD_REQUEST_400, "give exactly one of older_than_days=N and all=true");
            return;
        }
        if (all) {
            json(res, Status.OK_200, Map.of("deleted", conversations.deleteAll()));
            return;
        }
        try {
            long n = Long.parseLong(days.get());
            if (n < 0 || n > 36_500) {
                throw new NumberFormatException();
            }
            json(res, Status.OK_200, Map.of("deleted", conversations.deleteOlderThan(Duration.ofDays(n))));
        } catch (NumberFormatException e) {
            error(res, Status.BAD_REQUEST_400, "older_than_days must be a whole number of days from 0 to 36500, got '"
                    + days.get() + "'");
        }
    }

    private void message(ServerRequest req, ServerResponse res) {
        JsonNode body = body(req, res);
        if (body == null) {
            return;
        }
        if (body == null || !body.isObject()) {
            error(res, Status.BAD_REQUEST_400, "the body must be a JSON object {channel, message, message_id?}");
            return;
        }
        // The fields as given, so a missing or mistyped one is refused with the intake's own reason.
        ObjectNode message = JSON.createObjectNode();
        for (String field : List.of("channel", "message_id", "message")) {
            if (body.has(field)) {
                message.set(field, body.get(field));
            }
        }
        if (!message.hasNonNull("message_id")) {
            message.put("message_id", "admin_msg_" + UUID.randomUUID());
        }
        try {
            producer.publish(message);
            json(res, Status.ACCEPTED_202, Map.of("message_id", message.get("message_id").asText()));
        } catch (RejectedRequestException e) {
            error(res, Status.BAD_REQUEST_400, e.getMessage());
        } catch (IOException | TimeoutException e) {
            error(res, Status.SERVICE_UNAVAILABLE_503, "RabbitMQ did not take the message: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(res, Status.SERVICE_UNAVAILABLE_503, "the service is stopping");
        }
    }

    /** The request's JSON body; null once a 400 was sent for a body that is not JSON. */
    private static JsonNode body(ServerRequest req, ServerResponse res) {
        try {
            JsonNode body = JSON.readTree(req.content().as(String.class));
            return body == null ? JSON.nullNode() : body;
        } catch (JsonProcessingException e) {
            error(res, Status.BAD_REQUEST_400, "the body is not JSON: " + e.getOriginalMessage());
            return null;
        }
    }

    private static String channel(ServerRequest req) {
        return req.path().pathParameters().get("channel");
    }

    private static void json(ServerResponse res, Status status, Object body) {
        try {
            res.status(status).header(HeaderValues.CONTENT_TYPE_JSON).send(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static void error(ServerResponse res, Status status, String message) {
        json(res, status, Map.of("error", message));
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
