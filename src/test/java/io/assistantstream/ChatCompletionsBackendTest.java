package io.assistantstream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static io.assistantstream.testing.TestWorld.statuses;
import static io.assistantstream.PipelineTest.all;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code OPENAI_API=chat}: Chat Completions against the fake, end to end through the service, with the
 * conversation kept in the test's Redis ({@code history:{channel}}).
 */
class ChatCompletionsBackendTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INSTRUCTIONS = "You are a test assistant.";

    @RegisterExtension
    final TestWorld world = TestWorld.perTest().set("openai.api", "chat").set("openai.instructions", INSTRUCTIONS);
    private final FakeOpenAi openAi = world.openAi();
    private AssistantStream service;


    /** The terminal frame of one message's answer. */
    private JsonNode last(String channel, String messageId, String message) throws Exception {
        return world.answer(service, channel, messageId, message).getLast();
    }

    /** The {@code messages} of every chat request so far, each as "role: content" (tool calls as their ids). */
    private List<List<String>> requests() {
        List<List<String>> sent = new ArrayList<>();
        for (FakeOpenAi.RecordedRequest request : all(openAi, "/v1/chat/completions")) {
            List<String> messages = new ArrayList<>();
            request.json().path("messages").forEach(message -> messages.add(shown(message)));
            sent.add(messages);
        }
        return sent;
    }

    /** The channel's stored history, each entry as "message_id role: content". */
    private List<String> history(String channel) {
        return world.redis().lrange(world.prefix() + "history:" + channel, 0, -1).stream().map(entry -> {
            JsonNode stored = parse(entry);
            return stored.path("message_id").asText() + " " + shown(stored.path("message"));
        }).toList();
    }

    private static String shown(JsonNode message) {
        String role = message.path("role").asText();
        if (message.has("tool_calls")) {
            return role + ": calls " + message.get("tool_calls").findValuesAsText("name");
        }
        String content = message.path("content").asText();
        return role + ": " + (role.equals("tool") ? content.substring(0, Math.min(20, content.length())) : content);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void a_text_answer_streams_and_completes_and_its_exchange_is_kept_with_the_mapping_expiry() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chat-a", "m1", "hello world");

        assertEquals(List.of("started", "responding", "in_progress", "completed"), statuses(frames));
        assertEquals("Echo: hello world", frames.getLast().get("message").asText());
        String thread = world.redis().get(world.prefix() + "thread:chat-a");
        assertTrue(thread.startsWith("chat_"), thread);
        frames.forEach(frame -> assertEquals(thread, frame.get("thread_id").asText()));
        assertEquals("chat", world.redis().hget(world.prefix() + "metadata:chat-a", "backend"));

        JsonNode request = PipelineTest.only(openAi, "/v1/chat/completions").json();
        assertEquals("gpt-4o-mini", request.path("model").asText());
        assertTrue(request.path("stream").asBoolean());
        assertFalse(request.has("stream_options"), "usage is not asked for: " + request);
        assertEquals("function", request.path("tools").path(0).path("type").asText());
        assertEquals("get_weather", request.path("tools").path(0).path("function").path("name").asText());
        assertEquals(List.of(List.of("system: " + INSTRUCTIONS, "user: hello world")), requests());
        assertEquals(List.of("m1 user: hello world", "m1 assistant: Echo: hello world"), history("chat-a"));
        long ttl = world.redis().ttl(world.prefix() + "history:chat-a");
        long mappingTtl = world.redis().ttl(world.prefix() + "thread:chat-a");
        assertTrue(ttl > 0 && Math.abs(ttl - mappingTtl) <= 1, "history TTL " + ttl + ", mapping's " + mappingTtl);
    }

    @Test
    void azure_openai_gets_its_key_in_api_key_and_api_version_on_each_request_and_its_filter_chunk_is_skipped()
            throws Exception {
        world.set("openai.auth.header", "api-key").set("openai.query", "api-version=2024-10-21");
        service = world.start();
        JsonNode last = last("chat-azure", "m1", "hello azure !quirk=filter-results");

        assertEquals("completed", last.path("status").asText(), last.toString());
        assertEquals("Echo: hello azure", last.path("message").asText());
        FakeOpenAi.RecordedRequest request = PipelineTest.only(openAi, "/v1/chat/completions");
        assertEquals(FakeOpenAi.API_KEY, request.headers().get("api-key"));
        assertFalse(request.headers().containsKey("authorization"), request.headers().toString());
        assertEquals("api-version=2024-10-21", request.query());
    }

    @Test
    void a_tool_call_is_answered_with_a_tool_message_after_the_assistant_message_that_asked() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chat-w", "m1", "weather please !tool=Zocca");

        assertEquals(List.of("started", "processing", "responding", "in_progress", "completed"), statuses(frames));
        String text = frames.getLast().get("message").asText();
        assertTrue(text.startsWith("Tool said: {") && text.contains("\"location\":\"Zocca, IT\""), text);
        List<FakeOpenAi.RecordedRequest> rounds = all(openAi, "/v1/chat/completions");
        assertEquals(2, rounds.size());
        JsonNode followUp = rounds.get(1).json().path("messages");
        JsonNode asked = followUp.get(2).path("tool_calls").get(0);
        assertEquals("function", asked.path("type").asText());
        assertEquals("{\"city\":\"Zocca\",\"units\":\"metric\"}", asked.path("function").path("arguments").asText());
        assertEquals(asked.path("id").asText(), followUp.get(3).path("tool_call_id").asText());
        assertEquals(List.of("m1 user: weather please !tool=Zocca", "m1 assistant: calls [get_weather]",
                "m1 tool: {\"location\":\"Zocca, ", "m1 assistant: " + text), history("chat-w"));
    }

    @Test
    void the_second_message_on_a_channel_carries_the_first_exchange_from_redis() throws Exception {
        service = world.start();
        JsonNode first = last("chat-h", "m1", "first");
        JsonNode second = last("chat-h", "m2", "second");

        assertEquals("Echo: second", second.get("message").asText());
        assertEquals(first.get("thread_id"), second.get("thread_id"), "one conversation");
        assertEquals(List.of("system: " + INSTRUCTIONS, "user: first", "assistant: Echo: first", "user: second"),
                requests().get(1));
    }

    @Test
    void history_is_trimmed_to_whole_exchanges_within_history_max_messages() throws Exception {
        world.set("history.max.messages", "4");
        service = world.start();
        last("chat-t", "m1", "one !tool=Zocca"); // four messages: user, call, result, answer
        last("chat-t", "m2", "two");
        assertEquals(List.of("m2 user: two", "m2 assistant: Echo: two"), history("chat-t"),
                "m1's four messages and m2's two do not fit in four; m1 goes whole");
        last("chat-t", "m3", "three");

        List<List<String>> requests = requests();
        assertEquals(List.of("system: " + INSTRUCTIONS, "user: two"), requests.get(2),
                "m1's exchange does not fit beside the new message: none of it is sent, not its tail");
        assertEquals(List.of("system: " + INSTRUCTIONS, "user: two", "assistant: Echo: two", "user: three"),
                requests.get(3));
        assertEquals(List.of("m2 user: two", "m2 assistant: Echo: two", "m3 user: three", "m3 assistant: Echo: three"),
                history("chat-t"));
    }

    @Test
    void every_server_quirk_gives_the_same_answers() throws Exception {
        service = world.start();
        String[][] cases = { // the message, what its answer holds, how many messages its exchange stores
                {"!quirk=whole-call !tools=Zocca,Nowhere", "Zocca, IT", "no place called 'Nowhere'", "5"},
                {"!quirk=no-index !tools=Zocca,Nowhere", "Zocca, IT", "no place called 'Nowhere'", "5"},
                {"!quirk=args-in-finish !tool=Zocca", "Zocca, IT", "", "4"},
                {"!quirk=no-done !tool=Zocca", "Zocca, IT", "", "4"},
                {"!quirk=no-done hello", "Echo: hello", "", "2"},
                {"!quirk=usage-chunk hello", "Echo: hello", "", "2"},
                {"!quirk=filter-results hello", "Echo: hello", "", "2"},
        };
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cases.length; i++) {
            JsonNode end = last("chat-q" + i, "m", cases[i][0]);
            String text = end.path("message").asText();
            if (!end.path("status").asText().equals("completed") || !text.contains(cases[i][1])
                    || !text.contains(cases[i][2])) {
                wrong.add(cases[i][0] + " -> " + end);
            } else if (history("chat-q" + i).size() != Integer.parseInt(cases[i][3])) {
                wrong.add(cases[i][0] + " stored " + history("chat-q" + i));
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void answers_that_fail_end_in_clear_error_frames_and_leave_the_history_as_it_was() throws Exception {
        service = world.start();
        last("chat-e", "m1", "first");
        List<String> before = history("chat-e");
        String[][] cases = {
                {"!incomplete some words here", "The answer was cut at the token limit", "finish_reason \"length\""},
                {"!filtered some words here", "The answer was stopped by the content filter",
                        "finish_reason \"content_filter\""},
                {"!errorevent some words here", "The assistant failed to answer",
                        "Tool call validation failed: parameters for tool get_weather did not match schema "
                                + "(tool_use_failed)"},
                {"!quirk=string-error hi", "The assistant rejected the request",
                        "OpenAI answered 404: model \"gpt-4o-mini\" not found, try pulling it first"},
                {"!cutalways=2 some words here", "The connection to the assistant broke", ""},
        };
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cases.length; i++) {
            JsonNode end = last("chat-e", "e" + i, cases[i][0]);
            if (!end.path("status").asText().equals("error") || !end.path("message").asText().equals(cases[i][1])
                    || !end.path("error_details").asText().contains(cases[i][2])) {
                wrong.add(cases[i][0] + " -> " + end);
            }
            if (!history("chat-e").equals(before)) {
                wrong.add(cases[i][0] + " changed the history: " + history("chat-e"));
            }
        }
        assertEquals(List.of(), wrong);
        last("chat-e", "m2", "again");
        assertEquals(List.of("system: " + INSTRUCTIONS, "user: first", "assistant: Echo: first", "user: again"),
                requests().getLast(), "the failed answers are not part of the conversation");
    }

    @Test
    void a_cancelled_answer_leaves_the_history_as_it_was_and_the_next_message_is_answered() throws Exception {
        service = world.start();
        last("chat-c", "m1", "first");
        List<String> before = history("chat-c");
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chat-c");
            world.rabbit().publish("chat-c", "m2", "!words=400 !delay=20");
            client.framesUntil(frame -> "in_progress".equals(frame.path("status").asText()));
            client.cancel("chat-c", "m2");
            JsonNode end = client.answer("m2").getLast();
            assertEquals("cancelled", end.get("status").asText(), end.toString());
        }
        assertEquals(before, history("chat-c"), "nothing of the cancelled answer is kept");

        assertEquals("Echo: and now?", last("chat-c", "m3", "and now?").get("message").asText());
        assertEquals(List.of("system: " + INSTRUCTIONS, "user: first", "assistant: Echo: first", "user: and now?"),
                requests().getLast());
    }
}
