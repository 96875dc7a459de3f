package io.assistantstream.admin;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.Mappings.Mapping;
import io.assistantstream.testing.Mappings;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code /admin} routes of a running service: JSON in and out, behind the bearer token. */
class AdminRoutesTest {
    private static final String TOKEN = "s3cret-admin-token";

    private final HttpClient http = HttpClient.newHttpClient();
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final Mappings mappings = new Mappings(world.redis(), world.prefix());
    private AssistantStream service;

    @AfterEach
    void closeClient() {
        http.close();
    }

    private void startService() throws Exception {
        world.set("admin.token", TOKEN);
        service = world.start();
    }

    @Test
    void stats_answer_in_snake_case_json() throws Exception {
        startService();
        Instant now = Instant.now();
        mappings.add(List.of(Mapping.aged("a", now, 0.6, 0.5, 2), Mapping.aged("b", now, 4, 3, 5),
                Mapping.aged("c", now, 300, 45, 1), Mapping.aged("d", now, 200, 120, 4)));

        HttpResponse<String> response = send(admin("/admin/threads/stats").GET());

        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode stats = Json.parse(response.body());
        assertEquals(Set.of("threads", "ages", "messages", "average_messages", "most_active", "oldest", "newest",
                "storage_bytes"), fields(stats));
        assertEquals(4, stats.get("threads").asLong());
        assertEquals(Json.parse("""
                [{"from_days":0,"to_days":1,"threads":1,"percent":25.0},
                 {"from_days":1,"to_days":7,"threads":1,"percent":25.0},
                 {"from_days":7,"to_days":30,"threads":0,"percent":0.0},
                 {"from_days":30,"to_days":90,"threads":1,"percent":25.0},
                 {"from_days":90,"to_days":null,"threads":1,"percent":25.0}]"""), stats.get("ages"));
        assertEquals(12, stats.get("messages").asLong());
        assertEquals(3.0, stats.get("average_messages").asDouble());
        assertEquals(Set.of("channel", "messages", "created_at"), fields(stats.get("most_active")));
        assertEquals("b", stats.get("most_active").get("channel").asText());
        assertEquals("c", stats.get("oldest").get("channel").asText());
        assertEquals("a", stats.get("newest").get("channel").asText());
        assertTrue(stats.get("storage_bytes").asLong() > 0, response.body());
    }

    @Test
    void one_thread_is_shown_and_an_unknown_channel_is_404_with_a_json_error() throws Exception {
        startService();
        Mapping mapped = Mapping.aged("user:42", Instant.now(), 3, 1, 6);
        mappings.add(List.of(mapped));

        HttpResponse<String> found = send(admin("/admin/threads/user:42").GET());
        HttpResponse<String> unknown = send(admin("/admin/threads/nobody").GET());

        assertEquals(200, found.statusCode());
        JsonNode thread = Json.parse(found.body());
        assertEquals(Set.of("channel", "thread_id", "backend", "created_at", "last_message_at", "message_count",
                "expires_in_seconds"), fields(thread));
        assertEquals("user:42", thread.get("channel").asText());
        assertEquals("conv_user:42", thread.get("thread_id").asText());
        assertEquals("responses", thread.get("backend").asText());
        assertEquals(mapped.createdAt(), thread.get("created_at").asText());
        assertEquals(mapped.lastMessageAt(), thread.get("last_message_at").asText());
        assertEquals(6, thread.get("message_count").asLong());
        assertTrue(thread.get("expires_in_seconds").asLong() > Mappings.TTL_SECONDS - 60, found.body());
        assertEquals(404, unknown.statusCode());
        assertEquals("application/json", unknown.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("no conversation is mapped to channel 'nobody'", Json.parse(unknown.body()).get("error").asText());
    }

    @Test
    void deleting_one_thread_answers_deleted_1_then_0() throws Exception {
        startService();
        mappings.add(List.of(Mapping.aged("gone", Instant.now(), 3, 1, 1), Mapping.aged("stays", Instant.now(), 3, 1, 1)));

        HttpResponse<String> first = send(admin("/admin/threads/gone").DELETE());
        HttpResponse<String> again = send(admin("/admin/threads/gone").DELETE());

        assertEquals(200, first.statusCode());
        assertEquals(Json.parse("{\"deleted\":1}"), Json.parse(first.body()));
        assertEquals(Json.parse("{\"deleted\":0}"), Json.parse(again.body()));
        assertEquals(0, world.redis().exists(world.prefix() + "thread:gone"));
        assertEquals(List.of("stays"), world.redis().zrange(world.prefix() + "channels", 0, -1));
    }

    @Test
    void deleting_old_threads_then_all_threads_answers_how_many() throws Exception {
        startService();
        Instant now = Instant.now();
        mappings.add(List.of(Mapping.aged("old-1", now, 50, 45, 1), Mapping.aged("old-2", now, 200, 120, 1),
                Mapping.aged("recent", now, 3, 1, 1)));
        mappings.addUnindexed(List.of(Mapping.aged("python", now, 3, 1, 1)));

        HttpResponse<String> old = send(admin("/admin/threads?older_than_days=30").DELETE());

        assertEquals(200, old.statusCode());
        assertEquals(Json.parse("{\"deleted\":2}"), Json.parse(old.body()));
        assertEquals(List.of("recent"), world.redis().zrange(world.prefix() + "channels", 0, -1));

        HttpResponse<String> all = send(admin("/admin/threads?all=true").DELETE());

        assertEquals(200, all.statusCode());
        assertEquals(Json.parse("{\"deleted\":2}"), Json.parse(all.body()), "the indexed and the unindexed one");
        assertEquals(0, world.redis().exists(world.prefix() + "thread:recent", world.prefix() + "thread:python"));
    }

    @Test
    void a_deletion_query_with_neither_both_a_negative_or_a_non_number_is_400_and_deletes_nothing() throws Exception {
        startService();
        mappings.add(List.of(Mapping.aged("old", Instant.now(), 200, 120, 1)));

        for (String query : List.of("", "?all=yes", "?older_than_days=30&all=true", "?older_than_days=-1",
                "?older_than_days=ten", "?older_than_days=36501")) {
            HttpResponse<String> response = send(admin("/admin/threads" + query).DELETE());

            assertEquals(400, response.statusCode(), query);
            assertFalse(Json.parse(response.body()).get("error").asText().isEmpty(), query);
        }
        assertEquals(1, world.redis().exists(world.prefix() + "thread:old"));
    }

    @Test
    void a_posted_message_is_queued_and_answered_under_the_message_id_it_was_given() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-post");

            HttpResponse<String> response = send(admin("/admin/messages")
                    .POST(json(Map.of("channel", "chan-post", "message", "hello admin"))));

            assertEquals(202, response.statusCode());
            JsonNode accepted = Json.parse(response.body());
            assertEquals(Set.of("message_id"), fields(accepted));
            String messageId = accepted.get("message_id").asText();
            assertFalse(messageId.isEmpty());
            JsonNode last = client.answer(messageId).getLast();
            assertEquals("completed", last.get("status").asText());
            assertEquals("Echo: hello admin", last.get("message").asText());
            assertEquals(messageId, last.get("message_id").asText());
        }
    }

    @Test
    void a_posted_message_keeps_the_message_id_it_comes_with() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-given");

            HttpResponse<String> response = send(admin("/admin/messages")
                    .POST(json(Map.of("channel", "chan-given", "message", "hi", "message_id", "given-1"))));

            assertEquals(202, response.statusCode());
            assertEquals(Json.parse("{\"message_id\":\"given-1\"}"), Json.parse(response.body()));
            List<JsonNode> frames = client.answer("given-1");
            assertEquals("completed", frames.getLast().get("status").asText());
            assertTrue(frames.stream().allMatch(frame -> frame.get("message_id").asText().equals("given-1")));
        }
    }

    @Test
    void an_invalid_message_is_400_with_the_intake_s_reason_and_is_not_queued() throws Exception {
        startService();
        String longId = "x".repeat(257);
        Map<String, String> reasons = Map.of(
                "not json", "the body is not JSON: ",
                "[1, 2]", "the body must be a JSON object {channel, message, message_id?}",
                "{\"message\": \"hi\"}", "field 'channel' is missing",
                "{\"channel\": 5, \"message\": \"hi\"}", "field 'channel' must be a string",
                "{\"channel\": \"chan-bad\"}", "field 'message' is missing",
                "{\"channel\": \"chan-bad\", \"message\": \"\"}", "field 'message' is empty",
                "{\"channel\": \"chan-bad\", \"message\": \"hi\", \"message_id\": \"" + longId + "\"}",
                "field 'message_id' has 257 characters, more than the 256 allowed");
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-bad");

            reasons.forEach((body, reason) -> {
                HttpResponse<String> response = send(admin("/admin/messages").POST(HttpRequest.BodyPublishers.ofString(body)));
                assertEquals(400, response.statusCode(), body);
                assertTrue(Json.parse(response.body()).get("error").asText().startsWith(reason), response.body());
            });

            // Had any been queued, the intake would have sent its error frame to chan-bad ahead of this answer.
            send(admin("/admin/messages").POST(json(Map.of("channel", "chan-bad", "message", "ok", "message_id", "ok-1"))));
            List<JsonNode> frames = client.answer("ok-1");
            assertTrue(frames.stream().allMatch(frame -> frame.path("message_id").asText().equals("ok-1")),
                    frames.toString());
        }
    }

    @Test
    void a_missing_or_wrong_token_is_401_and_the_right_one_in_any_case_of_bearer_is_let_in() throws Exception {
        startService();
        String stats = "/admin/threads/stats";

        HttpResponse<String> missing = send(request(stats).GET());
        HttpResponse<String> wrong = send(request(stats).header("Authorization", "Bearer " + TOKEN + "x").GET());
        HttpResponse<String> prefixOnly = send(request(stats).header("Authorization", "Bearer " + TOKEN.substring(1)).GET());
        HttpResponse<String> otherScheme = send(request(stats).header("Authorization", "Basic " + TOKEN).GET());
        HttpResponse<String> bare = send(request(stats).header("Authorization", TOKEN).GET());

        for (HttpResponse<String> refused : List.of(missing, wrong, prefixOnly, otherScheme, bare)) {
            assertEquals(401, refused.statusCode(), refused.request().headers().toString());
            assertEquals("Bearer", refused.headers().firstValue("WWW-Authenticate").orElseThrow());
            assertEquals("a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required",
                    Json.parse(refused.body()).get("error").asText());
        }
        assertEquals(200, send(admin(stats).GET()).statusCode());
        assertEquals(200, send(request(stats).header("Authorization", "bearer " + TOKEN).GET()).statusCode());
        assertEquals(200, send(request(stats).header("Authorization", "BEARER " + TOKEN).GET()).statusCode());
    }

    @Test
    void without_an_admin_token_every_route_is_403_and_the_start_up_log_says_why() throws Exception {
        try (LogWatch log = LogWatch.of(AdminService.class.getName())) {
            service = world.start();

            assertEquals(1, log.count("The /admin routes answer 403: ADMIN_TOKEN is not set"), log.lines().toString());
        }
        mappings.add(List.of(Mapping.aged("kept", Instant.now(), 200, 120, 1)));
        List<HttpRequest.Builder> routes = List.of(
                admin("/admin/threads/stats").GET(),
                admin("/admin/threads/kept").GET(),
                admin("/admin/threads/kept").DELETE(),
                admin("/admin/threads?older_than_days=30").DELETE(),
                admin("/admin/threads?all=true").DELETE(),
                admin("/admin/messages").POST(json(Map.of("channel", "c", "message", "hi"))),
                request("/admin/threads/stats").GET());

        for (HttpRequest.Builder route : routes) {
            HttpResponse<String> response = send(route);

            assertEquals(403, response.statusCode(), response.request().toString());
            assertEquals("the admin routes are disabled: set ADMIN_TOKEN to enable them",
                    Json.parse(response.body()).get("error").asText());
        }
        assertEquals(1, world.redis().exists(world.prefix() + "thread:kept"), "nothing was deleted");
    }

    /** A request to the service with the admin token. */
    private HttpRequest.Builder admin(String path) {
        return request(path).header("Authorization", "Bearer " + TOKEN);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(TestWorld.timeout());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("the request failed: " + request.build(), e);
        }
    }

    private static HttpRequest.BodyPublisher json(Map<String, String> body) {
        return HttpRequest.BodyPublishers.ofString(Json.object(body));
    }

    private static Set<String> fields(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
