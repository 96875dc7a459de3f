package io.assistantstream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A message published to RabbitMQ, answered by the fake OpenAI, seen by a WebSocket client. */
class PipelineTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final FakeOpenAi openAi = world.openAi();
    private final Rabbit rabbit = world.rabbit();
    private AssistantStream service;

    private void startService() throws Exception {
        service = world.start();
    }

    @Test
    void subscriber_receives_the_exact_frames_of_an_answer_field_by_field() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-1");
            rabbit.publish("chan-1", "msg-1", "hello world");
            List<JsonNode> frames = client.answer("msg-1");

            String conversation = world.redis().get(world.prefix() + "thread:chan-1");
            assertTrue(conversation.startsWith("conv_"), conversation);
            List<String> statuses = frames.stream().map(f -> f.path("status").asText()).toList();
            assertEquals(List.of("started", "responding", "in_progress", "in_progress", "in_progress", "completed"),
                    statuses);
            String[][] expected = {
                    {"started", "status", "Assistant is processing your request...", null},
                    {"responding", "status", "Assistant is responding...", null},
                    {"in_progress", "response", "Echo: ", "Echo: "},
                    {"in_progress", "response", "Echo: hello ", "hello "},
                    {"in_progress", "response", "Echo: hello world", "world"},
                    {"completed", "response", "Echo: hello world", null}};
            long previousSeq = 0;
            for (int i = 0; i < frames.size(); i++) {
                JsonNode frame = frames.get(i);
                Set<String> fields = new TreeSet<>();
                frame.fieldNames().forEachRemaining(fields::add);
                Set<String> expectedFields = new TreeSet<>(Set.of("message", "timestamp", "status", "type",
                        "final_message", "message_id", "thread_id", "channel", "seq"));
                if (expected[i][3] != null) {
                    expectedFields.add("delta");
                }
                assertEquals(expectedFields, fields, frame.toString());
                assertEquals(expected[i][0], frame.get("status").asText());
                assertEquals(expected[i][1], frame.get("type").asText());
                assertEquals(expected[i][2], frame.get("message").asText());
                if (expected[i][3] != null) {
                    assertEquals(expected[i][3], frame.get("delta").asText());
                }
                assertEquals(i == frames.size() - 1, frame.get("final_message").asBoolean());
                assertEquals("msg-1", frame.get("message_id").asText());
                assertEquals(conversation, frame.get("thread_id").asText());
                assertEquals("chan-1", frame.get("channel").asText());
                assertTrue(frame.get("timestamp").isNumber() && frame.get("timestamp").isFloatingPointNumber());
                double age = System.currentTimeMillis() / 1000.0 - frame.get("timestamp").asDouble();
                assertTrue(age >= 0 && age < 30, "timestamp is epoch seconds: " + frame.get("timestamp"));
                assertTrue(frame.get("seq").asLong() > previousSeq, "seq increases");
                previousSeq = frame.get("seq").asLong();
            }

            Map<String, String> metadata = world.redis().hgetall(world.prefix() + "metadata:chan-1");
            assertEquals(conversation, metadata.get("thread_id"));
            assertEquals("responses", metadata.get("backend"));
            assertEquals("1", metadata.get("message_count"));
            assertNotNullScore(world.prefix() + "channels", "chan-1");
            long ttl = world.redis().ttl(world.prefix() + "thread:chan-1");
            assertTrue(ttl > 7_775_000 && ttl <= 7_776_000, "default 90-day sliding expiry, got " + ttl);
        }
    }

    @Test
    void the_model_gets_model_instructions_tools_and_the_conversation() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-req");
            rabbit.publish("chan-req", "m", "hi");
            client.answer("m");
        }
        FakeOpenAi.RecordedRequest create = only(openAi, "/v1/conversations");
        assertEquals("chan-req", create.json().path("metadata").path("channel").asText());
        FakeOpenAi.RecordedRequest response = only(openAi, "/v1/responses");
        JsonNode body = response.json();
        assertEquals("gpt-4o-mini", body.path("model").asText());
        assertEquals("You are a helpful assistant.", body.path("instructions").asText());
        assertTrue(body.path("stream").asBoolean());
        assertEquals("hi", body.path("input").asText());
        assertEquals(world.redis().get(world.prefix() + "thread:chan-req"), body.path("conversation").asText());
        assertEquals("get_weather", body.path("tools").path(0).path("name").asText());
        assertEquals("function", body.path("tools").path(0).path("type").asText());
        assertEquals("Bearer " + FakeOpenAi.API_KEY, response.headers().get("authorization"));
    }

    @Test
    void a_second_message_continues_the_same_conversation_over_a_reused_connection() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-2");
            rabbit.publish("chan-2", "a", "one");
            String first = client.answer("a").getLast().get("thread_id").asText();
            rabbit.publish("chan-2", "b", "two");
            String second = client.answer("b").getLast().get("thread_id").asText();
            assertEquals(first, second);
        }
        assertEquals(1, openAi.conversations().size());
        assertEquals("2", world.redis().hget(world.prefix() + "metadata:chan-2", "message_count"));
        assertEquals(1, openAi.connectionsAccepted(), "keep-alive: one connection for all requests");
    }

    @Test
    void a_conversation_gone_upstream_is_replaced_by_a_new_one() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-3");
            rabbit.publish("chan-3", "a", "one");
            String first = client.answer("a").getLast().get("thread_id").asText();
            openAi.forgetConversation(first);
            rabbit.publish("chan-3", "b", "two");
            List<JsonNode> frames = client.answer("b");
            assertEquals("completed", frames.getLast().get("status").asText());
            String second = frames.getLast().get("thread_id").asText();
            assertNotEquals(first, second);
            assertEquals(second, world.redis().get(world.prefix() + "thread:chan-3"));
        }
    }

    @Test
    void default_batching_sends_ten_characters_at_a_time_and_deltas_add_up() throws Exception {
        world.set("stream.batch.chars", "10").set("stream.batch.ms", "1000");
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-b");
            rabbit.publish("chan-b", "m", "!words=30");
            List<JsonNode> frames = client.answer("m");
            List<JsonNode> progress = frames.stream().filter(f -> f.path("status").asText().equals("in_progress")).toList();
            StringBuilder deltas = new StringBuilder();
            progress.forEach(f -> deltas.append(f.get("delta").asText()));
            String finalText = frames.getLast().get("message").asText();
            assertEquals(finalText, deltas.toString());
            assertTrue(finalText.startsWith("w1 w2 "), finalText);
            assertTrue(progress.size() < 30, "batched into fewer frames than tokens: " + progress.size());
            for (int i = 1; i < progress.size() - 1; i++) {
                assertTrue(progress.get(i).get("delta").asText().length() >= 10, "a batch holds at least 10 chars");
            }
        }
    }

    @Test
    void a_tool_call_runs_get_weather_and_gives_its_output_to_the_model() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-t");
            rabbit.publish("chan-t", "m", "weather please !tool=Zocca");
            List<JsonNode> frames = client.answer("m");
            List<String> statuses = frames.stream().map(f -> f.path("status").asText()).distinct().toList();
            assertEquals(List.of("started", "processing", "responding", "in_progress", "completed"), statuses);
            String text = frames.getLast().get("message").asText();
            assertTrue(text.startsWith("Tool said: {"), text);
            assertTrue(text.contains("\"location\":\"Zocca, IT\""), text);
            assertTrue(text.contains("\"description\":\"moderate rain\""), text);
        }
        List<FakeOpenAi.RecordedRequest> responses = all(openAi, "/v1/responses");
        assertEquals(2, responses.size());
        JsonNode followUp = responses.get(1).json();
        assertEquals("function_call_output", followUp.path("input").path(0).path("type").asText());
        assertEquals(responses.get(0).json().path("conversation").asText(), followUp.path("conversation").asText());
        FakeOpenAi.RecordedRequest geo = only(openAi, "/geo/1.0/direct");
        assertTrue(geo.query().contains("q=Zocca"), geo.query());
        assertTrue(geo.query().contains("appid=" + FakeOpenAi.WEATHER_KEY), geo.query());
        assertEquals(1, all(openAi, "/data/2.5/weather").size());
    }

    @Test
    void two_tool_calls_of_one_step_run_and_both_outputs_go_back() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-tt");
            rabbit.publish("chan-tt", "m", "!tools=Zocca,Nowhere");
            String text = client.answer("m").getLast().get("message").asText();
            assertTrue(text.contains("Zocca, IT") && text.contains(" | Error: no place called 'Nowhere' was found"), text);
        }
        assertEquals(2, all(openAi, "/v1/responses").get(1).json().path("input").size());
    }

    @Test
    void a_failing_tool_gives_the_model_an_error_text_and_the_answer_completes() throws Exception {
        world.set("openweather.api.key", "wrong-key");
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-tf");
            rabbit.publish("chan-tf", "m", "!tool=Zocca");
            JsonNode last = client.answer("m").getLast();
            assertEquals("completed", last.get("status").asText());
            assertEquals("Tool said: Error: OpenWeather rejected the API key (401)", last.get("message").asText());
        }
    }

    @Test
    void an_error_frame_carries_the_upstream_reason_and_the_message_is_dead_lettered() throws Exception {
        startService();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-f");
            rabbit.publish("chan-f", "m", "!failed");
            JsonNode last = client.answer("m").getLast();
            assertEquals("error", last.get("status").asText());
            assertEquals("error", last.get("type").asText());
            assertTrue(last.get("final_message").asBoolean());
            assertTrue(last.get("error_details").asText().contains("The model failed to generate a response."),
                    last.toString());
            assertFalse(last.has("delta"));
        }
        var dead = rabbit.awaitDeadLetter();
        assertTrue(dead.getProps().getHeaders().get("x-assistant-stream-reason").toString().startsWith("answer failed"));
    }

    @Test
    void no_log_record_holds_a_secret() throws Exception {
        List<String> records;
        try (LogWatch all = LogWatch.of("")) {
            world.set("openai.max.retries", "1");
            startService();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("logs");
                rabbit.publish("logs", "a", "!tool=Zocca");
                client.answer("a");
                rabbit.publish("logs", "b", "!fail=500x5");
                client.answer("b");
                rabbit.publish("{\"channel\":\"logs\"}");
                client.next();
            }
            records = all.lines();
        }
        assertFalse(records.isEmpty(), "something was logged");
        for (String record : records) {
            assertFalse(record.contains(FakeOpenAi.API_KEY) || record.contains(FakeOpenAi.WEATHER_KEY), record);
        }
    }

    private void assertNotNullScore(String key, String member) {
        assertTrue(world.redis().zscore(key, member) != null, member + " is in the index " + key);
    }

    static List<FakeOpenAi.RecordedRequest> all(FakeOpenAi fake, String path) {
        List<FakeOpenAi.RecordedRequest> matching = new ArrayList<>();
        for (FakeOpenAi.RecordedRequest request : fake.requests()) {
            if (request.path().equals(path)) {
                matching.add(request);
            }
        }
        return matching;
    }

    static FakeOpenAi.RecordedRequest only(FakeOpenAi fake, String path) {
        List<FakeOpenAi.RecordedRequest> matching = all(fake, path);
        assertEquals(1, matching.size(), "requests to " + path);
        return matching.getFirst();
    }
}
