package io.assistantstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.access.TestTokens;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running service with channel tokens required and its management port apart: the handshake, a
 * token minted by {@code /admin/tokens} reading its channel and no other, and {@code /admin} and
 * {@code /observe} served only on the management port.
 */
class ChannelTokensTest {
    private static final String ADMIN = "admin-token-of-this-test";

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private AssistantStream startWithTokens() throws Exception {
        world.set("websocket.auth", "jwt");
        world.set("websocket.jwt.secret", TestTokens.SECRET);
        world.set("admin.token", ADMIN);
        world.set("management.port", "0");
        return world.start();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + ADMIN).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private String mint(int managementPort, String body) throws Exception {
        HttpResponse<String> minted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                        + "/admin/tokens")).header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, minted.statusCode(), minted.body());
        return Json.parse(minted.body()).get("token").asText();
    }

    @Test
    void a_handshake_without_a_valid_token_gets_401_and_no_token_reaches_the_log() throws Exception {
        AssistantStream service = startWithTokens();
        String forged = TestTokens.hs256("another-secret-of-at-least-32-bytes!!",
                TestTokens.granting(java.time.Instant.now().plusSeconds(60), "room-1").build());
        try (LogWatch log = LogWatch.of("")) {
            for (String query : List.of("", "token=" + forged)) {
                ExecutionException refused = assertThrows(ExecutionException.class, () -> http.newWebSocketBuilder()
                        .buildAsync(URI.create("ws://127.0.0.1:" + service.port() + "/ws" + (query.isEmpty() ? ""
                                : "?" + query)), new WebSocket.Listener() { }).get(5, TimeUnit.SECONDS));
                WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class,
                        refused.getCause());
                assertEquals(401, handshake.getResponse().statusCode(), query);
            }
            assertFalse(log.lines().stream().anyMatch(line -> line.contains(forged.substring(forged.lastIndexOf('.')))),
                    "the token's signature is nowhere in the log");
        }
    }

    @Test
    void a_minted_token_reads_the_channels_it_grants_and_no_other() throws Exception {
        AssistantStream service = startWithTokens();
        String token = mint(service.managementPort(), "{\"channels\":[\"room-1\"],\"ttl_seconds\":60,\"sub\":\"u1\"}");
        try (WsClient client = WsClient.connect(service.port(), "token=" + token)) {
            client.send(WsClient.subscribeCommand("room-2", null, null));
            JsonNode refused = client.next();
            assertEquals("forbidden", refused.get("code").asText(), refused.toString());
            assertEquals("subscribed", client.subscribe("room-1", null, null).get("type").asText());
            world.rabbit().publish("room-1", "m1", "hello there");
            List<JsonNode> answer = client.answer("m1");
            assertEquals("completed", answer.getLast().get("status").asText());
            assertTrue(answer.stream().allMatch(frame -> frame.get("channel").asText().equals("room-1")));
        }
        assertEquals(400, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort()
                        + "/admin/tokens")).header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"channels\":[\"room-1\"],\"ttl_seconds\":999999}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "a token longer than a day is refused");
    }

    @Test
    void admin_and_observe_are_served_only_on_the_management_port() throws Exception {
        AssistantStream service = startWithTokens();
        assertTrue(service.managementPort() != service.port());
        assertEquals(404, get(service.port(), "/admin/threads/stats").statusCode());
        assertEquals(404, get(service.port(), "/observe/health").statusCode());
        assertEquals(404, get(service.port(), "/observe/metrics").statusCode());
        assertEquals(200, get(service.managementPort(), "/admin/threads/stats").statusCode());
        assertEquals(200, get(service.managementPort(), "/observe/health").statusCode());
        assertEquals(200, get(service.managementPort(), "/observe/metrics").statusCode());
    }
}
