package io.assistantstream;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.ToolEndpoint;
import io.assistantstream.testing.ToolEndpoint.Reply;

import static io.assistantstream.PipelineTest.all;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tools beyond get_weather, end to end: a tool of TOOLS_FILE served by a loopback endpoint, called by
 * the model through the Responses and the Assistants backends; and hosted tools (OPENAI_HOSTED_TOOLS),
 * whose recorded events the fake streams.
 */
class ToolsTest {
    /** The value of the tool's key header: it must never reach a log, a client or the model. */
    private static final String SECRET = "hdr-secret-5a0c93e1";
    private static final String ORDER_CALL = "where is my order !call=lookup_order !args={\"number\":\"42\"}";

    /** Every test has one, closed with the world after the service: a leaked one is a WebServer left running. */
    private final ToolEndpoint endpoint = ToolEndpoint.start();
    @RegisterExtension
    final TestWorld world = TestWorld.perTest().closing(endpoint);
    private final FakeOpenAi openAi = world.openAi();
    @TempDir
    Path dir;
    private AssistantStream service;

    /** Declares lookup_order, posting to the endpoint's {@code /orders} with the secret header, in TOOLS_FILE. */
    private void declareLookupOrder() throws Exception {
        Path file = Files.writeString(dir.resolve("tools.yaml"), """
                tools:
                  - name: lookup_order
                    description: Find an order by its number.
                    parameters:
                      type: object
                      properties:
                        number: {type: string}
                      required: [number]
                    url: %s
                    headers:
                      X-Api-Key: %s
                    timeout_ms: 5000
                """.formatted(endpoint.url("/orders"), SECRET));
        world.set("tools.file", file.toString());
    }


    private String threadOf(String channel) {
        return world.redis().get(world.prefix() + "thread:" + channel);
    }

    private static List<String> processing(List<JsonNode> frames) {
        return frames.stream().filter(f -> f.path("status").asText().equals("processing"))
                .map(f -> f.path("message").asText()).toList();
    }

    /** The one request the endpoint received: the body the tool got for {@code channel}'s message {@code m1}. */
    private void assertCalledFor(String channel) {
        ToolEndpoint.Received call = endpoint.received().getFirst();
        assertEquals(1, endpoint.received().size());
        assertEquals("{\"name\":\"lookup_order\",\"arguments\":{\"number\":\"42\"},\"channel\":\"" + channel
                + "\",\"message_id\":\"m1\",\"thread_id\":\"" + threadOf(channel) + "\"}", call.body());
        assertEquals(SECRET, call.headers().get("x-api-key"));
    }

    @Test
    void the_model_calls_a_file_tool_and_answers_with_what_its_endpoint_said() throws Exception {
        declareLookupOrder();
        endpoint.answer("/orders", Reply.of(200, "{\"status\":\"shipped\"}"));
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-f", "m1", ORDER_CALL);

        assertEquals("Tool said: {\"status\":\"shipped\"}", frames.getLast().path("message").asText(), frames.toString());
        assertEquals(List.of("Assistant is gathering information..."), processing(frames));
        assertCalledFor("chan-f");
        JsonNode tools = all(openAi, "/v1/responses").getFirst().json().path("tools");
        assertEquals("get_weather", tools.path(0).path("name").asText());
        assertTrue(tools.path(0).path("strict").asBoolean());
        assertEquals("lookup_order", tools.path(1).path("name").asText());
        assertFalse(tools.path(1).path("strict").asBoolean(true), "a file tool is not strict unless it says so");
    }

    @Test
    void with_the_chat_api_the_model_calls_a_file_tool_and_gets_its_answer_in_a_tool_message() throws Exception {
        world.set("openai.api", "chat");
        declareLookupOrder();
        endpoint.answer("/orders", Reply.of(200, "{\"status\":\"delivered\"}"));
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-c", "m1", ORDER_CALL);

        assertEquals("Tool said: {\"status\":\"delivered\"}", frames.getLast().path("message").asText(),
                frames.toString());
        assertCalledFor("chan-c");
        JsonNode tools = all(openAi, "/v1/chat/completions").getFirst().json().path("tools");
        assertEquals("lookup_order", tools.path(1).path("function").path("name").asText(), tools.toString());
    }

    @Test
    void a_file_tool_that_fails_is_an_error_text_for_the_model_and_its_secret_is_shown_and_logged_nowhere()
            throws Exception {
        declareLookupOrder();
        endpoint.answer("/orders", Reply.of(401, "{\"error\":\"key " + SECRET + " is revoked\"}"));
        List<String> records;
        List<JsonNode> frames;
        try (LogWatch all = LogWatch.of("")) {
            service = world.start();
            frames = world.answer(service, "chan-s", "m1", ORDER_CALL);
            records = all.lines();
        }
        assertEquals("completed", frames.getLast().path("status").asText(), "a failing tool never fails the answer");
        assertEquals("Tool said: Error: lookup_order answered 401: {\"error\":\"key *** is revoked\"}",
                frames.getLast().path("message").asText());
        assertTrue(records.stream().anyMatch(r -> r.contains("lookup_order")), "the tool is named at start: " + records);
        for (String record : records) {
            assertFalse(record.contains(SECRET), record);
        }
        frames.forEach(frame -> assertFalse(frame.toString().contains(SECRET), frame.toString()));
        all(openAi, "/v1/responses").forEach(request -> assertFalse(request.body().contains(SECRET), request.body()));
    }

    @Test
    void with_the_assistants_api_a_new_file_tool_updates_the_assistant_and_the_model_calls_it() throws Exception {
        world.set("openai.api", "assistants");
        service = world.start();
        String assistant = world.redis().get(world.prefix() + "assistant_id");
        world.stop(service);
        declareLookupOrder();
        endpoint.answer("/orders", Reply.of(200, "{\"status\":\"packed\"}"));
        service = world.start();

        List<FakeOpenAi.RecordedRequest> updates = all(openAi, "/v1/assistants/" + assistant).stream()
                .filter(request -> request.method().equals("POST")).toList();
        assertEquals(1, updates.size(), "the stored assistant is updated, not replaced");
        JsonNode tools = updates.getFirst().json().path("tools");
        assertEquals("lookup_order", tools.path(1).path("function").path("name").asText(), tools.toString());
        assertFalse(tools.path(1).path("function").path("strict").asBoolean(true));

        List<JsonNode> frames = world.answer(service, "chan-a", "m1", ORDER_CALL);
        assertEquals("Tool said: {\"status\":\"packed\"}", frames.getLast().path("message").asText(), frames.toString());
        assertCalledFor("chan-a");
    }

    @Test
    void a_hosted_web_search_is_told_once_and_the_request_carries_the_hosted_tools_after_the_functions()
            throws Exception {
        world.set("openai.hosted.tools", "[{\"type\":\"web_search\"},{\"type\":\"file_search\",\"vector_store_ids\":"
                + "[\"vs_1\"]}]");
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-w", "m1", "weather in SF !hosted=web_search");

        assertEquals(List.of("Searching the web"), processing(frames));
        assertEquals(List.of("started", "processing", "responding"), frames.stream().limit(3)
                .map(f -> f.path("status").asText()).toList());
        assertEquals("Echo: weather in SF", frames.getLast().path("message").asText());
        assertEquals("completed", frames.getLast().path("status").asText());
        JsonNode tools = all(openAi, "/v1/responses").getFirst().json().path("tools");
        List<String> offered = new ArrayList<>();
        tools.forEach(tool -> offered.add(tool.path("type").asText().equals("function") ? tool.path("name").asText()
                : tool.path("type").asText()));
        assertEquals(List.of("get_weather", "web_search", "file_search"), offered);
        assertEquals("[\"vs_1\"]", tools.path(2).path("vector_store_ids").toString());
    }

    @Test
    void mcp_calls_are_told_by_server_and_tool_and_are_never_taken_for_function_calls() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-m", "m1", "what is pydantic-ai !hosted=mcp");

        assertEquals(List.of("Listing the tools of deepwiki", "Calling ask_question on deepwiki"), processing(frames));
        assertEquals("Echo: what is pydantic-ai", frames.getLast().path("message").asText());
        assertEquals(1, all(openAi, "/v1/responses").size(), "no function call round followed");
    }

    @Test
    void a_file_search_with_citations_keeps_the_text_whole() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-c", "m1", "capital of France !hosted=file_search");

        assertEquals(List.of("Searching files"), processing(frames));
        String deltas = frames.stream().filter(f -> f.path("status").asText().equals("in_progress"))
                .map(f -> f.path("delta").asText()).reduce("", String::concat);
        assertEquals("Echo: capital of France", deltas);
        assertEquals(deltas, frames.getLast().path("message").asText());
    }
}
