package io.assistantstream.hub;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.http.RequestException;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.access.ChannelAccess;
import io.assistantstream.access.TestTokens;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channel tokens and limits on the {@code /ws} protocol, on an in-memory session and feed: who gets
 * past the handshake, which subscribes are granted, what an expiring token ends, and what a client
 * past a limit is told.
 */
class ChannelTokensOnWsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ChannelAccess JWT = ChannelAccess.jwt(ChannelAccess.Keys.secret(TestTokens.SECRET), true, "",
            "", Duration.ofSeconds(1), Clock.systemUTC(), Duration.ZERO);

    private final InMemoryFrameFeed feed = new InMemoryFrameFeed();
    private final SubscriberHub hub = new SubscriberHub(feed, Duration.ofMinutes(10), 2, TestMeters.fresh());
    private final RecordedSession session = new RecordedSession();

    @AfterEach
    void closeHub() {
        hub.close();
    }

    private HubEndpoint endpoint(int messagesPerSecond) {
        return new HubEndpoint(hub, JWT, new HubEndpoint.Limits(1 << 16, 64, 20, messagesPerSecond));
    }

    /** A client that got past the handshake with {@code token} and opened {@code on}. */
    private HubEndpoint opened(RecordedSession on, String token) {
        HubEndpoint endpoint = endpoint(1000);
        endpoint.onHttpUpgrade(handshake("token=" + token), WritableHeaders.create());
        endpoint.onOpen(on);
        return endpoint;
    }

    private HubEndpoint connected(String token) {
        return opened(session, token);
    }

    private static HttpPrologue handshake(String query) {
        return HttpPrologue.create("HTTP/1.1", "HTTP", "1.1", Method.GET, "/ws" + (query.isEmpty() ? "" : "?" + query),
                false);
    }

    private JsonNode reply(HubEndpoint endpoint, String command) throws Exception {
        endpoint.onMessage(session, command, true);
        return JSON.readTree(session.next());
    }

    @Test
    void a_handshake_without_a_valid_token_is_refused_with_401_and_says_why_without_repeating_the_token() {
        String expired = TestTokens.hs256(-10, "room-1");
        for (String query : new String[] {"", "token=", "token=not.a.jwt", "token=" + expired}) {
            RequestException refused = assertThrows(RequestException.class,
                    () -> endpoint(1000).onHttpUpgrade(handshake(query), WritableHeaders.create()), query);
            assertEquals(401, refused.status().code(), query);
            assertFalse(refused.getMessage().contains(expired), "the token is never repeated");
        }
        assertTrue(assertThrows(RequestException.class, () -> endpoint(1000).onHttpUpgrade(handshake("token="
                + expired), WritableHeaders.create())).getMessage().contains("expired"));
        WritableHeaders<?> bearer = WritableHeaders.create();
        bearer.add(HeaderNames.AUTHORIZATION, "Bearer " + TestTokens.hs256(60, "room-1"));
        assertEquals(Optional.empty(), endpoint(1000).onHttpUpgrade(handshake(""), bearer),
                "a client that can set headers sends the token as a bearer token");
    }

    @Test
    void a_subscribe_the_tokens_do_not_grant_is_refused_as_forbidden_and_the_connection_stays_open() throws Exception {
        HubEndpoint endpoint = connected(TestTokens.hs256(60, "room-1", "team-7/*"));
        assertEquals("subscribed", reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-1\"}").get("type").asText());
        assertEquals("subscribed", reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"team-7/x\"}").get("type")
                .asText());
        JsonNode refused = reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-2\"}");
        assertEquals("error", refused.get("type").asText());
        assertEquals("forbidden", refused.get("code").asText());
        assertEquals("room-2", refused.get("channel").asText());
        assertFalse(feed.heard().contains("room-2"), "nothing of it is heard");
        JsonNode withToken = reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-2\",\"token\":\""
                + TestTokens.hs256(60, "room-2") + "\"}");
        assertEquals("subscribed", withToken.get("type").asText(), "a token on the subscribe adds its grant");
        JsonNode authorized = reply(endpoint, "{\"action\":\"auth\",\"token\":\"" + TestTokens.hs256(60, "room-3") + "\"}");
        assertEquals("authorized", authorized.get("type").asText());
        assertEquals("subscribed", reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-3\"}").get("type")
                .asText());
        assertEquals("invalid_token", reply(endpoint, "{\"action\":\"auth\",\"token\":\"forged\"}").get("code").asText());
        assertEquals("forbidden", reply(endpoint, "{\"action\":\"cancel\",\"channel\":\"room-9\",\"message_id\":\"m\"}")
                .get("code").asText(), "no cancel on a channel no token grants");
    }

    @Test
    void when_the_last_token_granting_a_subscribed_channel_expires_that_subscription_ends_with_token_expired()
            throws Exception {
        HubEndpoint endpoint = connected(TestTokens.hs256(2, "room-1", "room-2"));
        reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-1\"}");
        reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-2\"}");
        reply(endpoint, "{\"action\":\"auth\",\"token\":\"" + TestTokens.hs256(60, "room-2") + "\"}"); // refreshed
        JsonNode ended = JSON.readTree(session.next()); // up to 5 s: the first token lives 2
        assertEquals("token_expired", ended.get("code").asText(), ended.toString());
        assertEquals("room-1", ended.get("channel").asText());
        assertEquals(java.util.Set.of("room-2"), feed.heard(), "room-1 is no longer heard; room-2, refreshed, is");
        assertTrue(session.quietFor(300), "one error, for the channel no token grants");
    }

    @Test
    void expired_subscriptions_end_even_when_redis_cannot_unsubscribe_them_now() throws Exception {
        HubEndpoint endpoint = connected(TestTokens.hs256(2, "room-1", "room-2"));
        reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-1\"}");
        reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-2\"}");
        feed.failUnsubscribes();
        java.util.Set<String> ended = new java.util.HashSet<>();
        ended.add(JSON.readTree(session.next()).get("channel").asText());
        ended.add(JSON.readTree(session.next()).get("channel").asText());
        assertEquals(java.util.Set.of("room-1", "room-2"), ended, "each one told, though the first unsubscribe failed");
        assertEquals(0, hub.meters().websocketSubscriptions().get());
    }

    @Test
    void a_connection_keeps_at_most_sixteen_live_tokens_and_the_same_one_again_counts_once() throws Exception {
        String first = TestTokens.hs256(60, "room-0");
        HubEndpoint endpoint = connected(first);
        assertEquals("authorized", reply(endpoint, "{\"action\":\"auth\",\"token\":\"" + first + "\"}").get("type")
                .asText(), "the same token again");
        for (int i = 1; i < 16; i++) {
            String token = TestTokens.hs256(60 + i, "room-" + i);
            assertEquals("authorized", reply(endpoint, "{\"action\":\"auth\",\"token\":\"" + token + "\"}")
                    .get("type").asText(), "token " + i);
        }
        JsonNode refused = reply(endpoint, "{\"action\":\"auth\",\"token\":\"" + TestTokens.hs256(600, "room-x")
                + "\"}");
        assertEquals("too_many_tokens", refused.get("code").asText(), refused.toString());
        assertEquals("subscribed", reply(endpoint, "{\"action\":\"subscribe\",\"channel\":\"room-0\"}").get("type")
                .asText(), "no token held was dropped to make room");
    }

    @Test
    void a_client_past_its_message_rate_has_its_messages_ignored_and_is_told_once() throws Exception {
        HubEndpoint endpoint = endpoint(5);
        endpoint.onHttpUpgrade(handshake("token=" + TestTokens.hs256(60, "room-*")), WritableHeaders.create());
        endpoint.onOpen(session);
        for (int i = 0; i < 100; i++) { // the burst is the most subscriptions (20), then 5 a second
            endpoint.onMessage(session, "{\"action\":\"subscribe\",\"channel\":\"room-" + i + "\"}", true);
        }
        int subscribed = 0;
        int limited = 0;
        for (String text = session.poll(300); text != null; text = session.poll(300)) {
            JsonNode reply = JSON.readTree(text);
            if ("subscribed".equals(reply.path("type").asText())) {
                subscribed++;
            } else if ("rate_limited".equals(reply.path("code").asText())) {
                limited++;
            }
        }
        assertTrue(subscribed >= 20 && subscribed <= 22, "a burst, then the rate: " + subscribed);
        assertEquals(1, limited, "told once a second at most");
    }

    @Test
    void a_client_past_the_connection_limit_is_closed_with_1013_as_it_opens_and_the_others_go_on() throws Exception {
        String token = TestTokens.hs256(60, "room-1");
        RecordedSession first = new RecordedSession();
        RecordedSession second = new RecordedSession();
        HubEndpoint firstEndpoint = opened(first, token);
        opened(second, token);
        HubEndpoint third = opened(session, token);
        assertTrue(session.next().startsWith("close 1013 too many connections"));
        assertEquals(2, hub.clients());
        third.onClose(session, 1013, "");
        assertEquals(2, hub.clients(), "the refused client never counted");
        firstEndpoint.onClose(first, 1000, "bye"); // a place frees up when a client leaves
        RecordedSession fourth = new RecordedSession();
        HubEndpoint later = opened(fourth, token);
        later.onMessage(fourth, "{\"action\":\"subscribe\",\"channel\":\"room-1\"}", true);
        assertEquals("subscribed", JSON.readTree(fourth.next()).get("type").asText());
        assertEquals(2, hub.clients());
    }
}
