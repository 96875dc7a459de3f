package io.assistantstream.store;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.RedisKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which stored messages a chat request carries ({@link ChatHistory#window}), and writing an exchange
 * twice, against the machine's Redis under a prefix of the test's own.
 */
class ChatHistoryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REDIS = "redis://127.0.0.1:6379/0";

    private static ChatHistory.Entry entry(String messageId, String role) {
        return new ChatHistory.Entry(messageId, JSON.createObjectNode().put("role", role).put("content", messageId));
    }

    /** m1: a plain exchange; m2: one with a tool round; m3: a plain exchange. */
    private static final List<ChatHistory.Entry> STORED = List.of(entry("m1", "user"), entry("m1", "assistant"),
            entry("m2", "user"), entry("m2", "assistant"), entry("m2", "tool"), entry("m2", "assistant"),
            entry("m3", "user"), entry("m3", "assistant"));

    private static List<String> window(String messageId, int max) {
        return ChatHistory.window(STORED, messageId, max).stream()
                .map(e -> e.messageId() + ":" + e.message().path("role").asText()).toList();
    }

    @Test
    void everything_fits_when_the_limit_allows() {
        assertEquals(8, window("m4", 8).size());
    }

    @Test
    void the_oldest_whole_exchanges_go_first_so_the_window_starts_at_a_user_message() {
        assertEquals(List.of("m3:user", "m3:assistant"), window("m4", 5),
                "m2's four messages do not fit beside m3's two, and its tool result is never kept without its call");
        assertEquals(List.of("m2:user", "m2:assistant", "m2:tool", "m2:assistant", "m3:user", "m3:assistant"),
                window("m4", 6));
    }

    @Test
    void the_messages_of_the_message_being_answered_are_left_out() {
        assertEquals(List.of("m1:user", "m1:assistant", "m3:user", "m3:assistant"), window("m2", 7));
    }

    @Test
    void a_last_exchange_longer_than_the_limit_leaves_the_window_empty() {
        assertEquals(List.of(), window("m3", 3));
    }

    @Test
    void an_exchange_written_again_for_its_message_replaces_the_first_and_its_own_request_leaves_it_out()
            throws Exception {
        String prefix = "test:" + UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisClient client = RedisClient.create(REDIS);
        try (RedisKeys keys = new RedisKeys(REDIS, prefix);
             StatefulRedisConnection<String, String> connection = client.connect()) {
            ChatHistory history = new ChatHistory(RedisConnection.of(connection), KeySpace.standalone(prefix), Duration.ofMinutes(5), 10);
            history.record("c", "m1", exchange("m1", "first"));
            history.record("c", "m2", exchange("m2", "second"));
            history.record("c", "m1", exchange("m1", "first, answered again"));

            assertEquals(List.of("m2", "second", "m1", "first, answered again"), contents(history.before("c", "m3")),
                    "m1 once, as last answered");
            assertEquals(List.of("m2", "second"), contents(history.before("c", "m1")),
                    "m1 asked again does not see its own earlier exchange");
            assertEquals(4, keys.redis().llen(ChatHistory.key(KeySpace.standalone(prefix), "c")));
        } finally {
            client.shutdown();
        }
    }

    private static List<JsonNode> exchange(String question, String answer) {
        return List.of(JSON.createObjectNode().put("role", "user").put("content", question),
                JSON.createObjectNode().put("role", "assistant").put("content", answer));
    }

    private static List<String> contents(List<JsonNode> messages) {
        return messages.stream().map(message -> message.path("content").asText()).toList();
    }
}
