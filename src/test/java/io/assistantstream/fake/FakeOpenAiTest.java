package io.assistantstream.fake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeOpenAiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeOpenAi fake;
    private HttpClient client;

    /** One SSE frame: the {@code event:} name (null if none) and the parsed data (null for [DONE]). */
    private record Event(String name, JsonNode data) {
        String type() {
            return data == null ? "[DONE]" : data.path("type").asText();
        }
    }

    /** A streamed answer as read until the end (or the cut). */
    private record Sse(HttpResponse<?> response, List<Event> events, boolean cut) {
        List<Event> ofType(String type) {
            return events.stream().filter(e -> e.type().equals(type)).toList();
        }

        String text() {
            return String.join("", deltas());
        }

        List<String> deltas() {
            return ofType("response.output_text.delta").stream().map(e -> e.data().get("delta").asText()).toList();
        }

        Event last() {
            return events.getLast();
        }
    }

    @BeforeEach
    void start() {
        fake = FakeOpenAi.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stop() {
        fake.close();
        client.close();
    }

    @Test
    void text_stream_has_sequence_numbers_and_ends_with_completed() throws Exception {
        String conv = conversation();
        Sse sse = stream(conv, "hello   world");

        assertEquals(200, sse.response().statusCode());
        assertTrue(sse.response().headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
        assertEquals("chunked", sse.response().headers().firstValue("transfer-encoding").orElseThrow());
        assertTrue(sse.response().headers().firstValue("x-request-id").orElseThrow().startsWith("req_"));
        assertTrue(sse.response().headers().firstValue("openai-processing-ms").isPresent());
        assertFalse(sse.cut());
        for (int i = 0; i < sse.events().size(); i++) {
            Event event = sse.events().get(i);
            assertEquals(i, event.data().get("sequence_number").asInt());
            assertEquals(event.name(), event.type());
        }
        List<String> ignorable = List.of("response.reasoning_summary_text.delta", "response.future_event_kind");
        List<String> known = sse.events().stream().map(Event::type).filter(t -> !ignorable.contains(t)).toList();
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed"), known);
        assertEquals(1, sse.ofType("response.reasoning_summary_text.delta").size());
        assertEquals(1, sse.ofType("response.future_event_kind").size());
        assertEquals(List.of("Echo: ", "hello ", "world"), sse.deltas());
        Event delta = sse.ofType("response.output_text.delta").getFirst();
        assertTrue(delta.data().get("item_id").asText().startsWith("msg_"));
        assertEquals(0, delta.data().get("content_index").asInt());
        assertTrue(delta.data().get("logprobs").isArray());
        JsonNode textDone = sse.ofType("response.output_text.done").getFirst().data();
        assertEquals("Echo: hello world", textDone.get("text").asText());
        JsonNode response = sse.last().data().get("response");
        assertEquals("completed", response.get("status").asText());
        assertTrue(response.get("id").asText().startsWith("resp_"));
        assertEquals("gpt-test", response.get("model").asText());
        assertEquals("Be brief.", response.get("instructions").asText());
        assertEquals(conv, response.get("conversation").get("id").asText());
        assertEquals("Echo: hello world", response.at("/output/0/content/0/text").asText());
        assertEquals(3, response.at("/usage/output_tokens").asInt());
    }

    @Test
    void requests_without_the_right_bearer_token_get_401() throws Exception {
        for (String auth : new String[] {"Bearer sk-wrong-key-123456", null}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/conversations"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}"));
            if (auth != null) {
                request.header("Authorization", auth);
            }
            HttpResponse<String> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, answer.statusCode());
            JsonNode error = JSON.readTree(answer.body()).get("error");
            assertEquals("invalid_api_key", error.get("code").asText());
            assertEquals("invalid_request_error", error.get("type").asText());
            assertTrue(error.get("message").asText().startsWith("Incorrect API key provided: "));
        }
        assertTrue(fake.conversations().isEmpty());
    }

    @Test
    void conversations_are_created_read_and_forgotten() throws Exception {
        HttpResponse<String> created = send(post("/conversations", "{\"metadata\":{\"chat\":\"c1\"}}"));
        JsonNode conv = JSON.readTree(created.body());
        String id = conv.get("id").asText();
        assertTrue(id.matches("conv_[0-9a-f]{24}"), id);
        assertEquals("conversation", conv.get("object").asText());
        assertTrue(conv.get("created_at").asLong() > 1_700_000_000L);
        assertEquals("c1", conv.at("/metadata/chat").asText());
        assertEquals(conv, JSON.readTree(send(get("/conversations/" + id)).body()));
        assertEquals(java.util.Set.of(id), fake.conversations());

        fake.forgetConversation(id);
        HttpResponse<String> gone = send(get("/conversations/" + id));
        assertEquals(404, gone.statusCode());
        assertEquals(404, send(post("/responses", body(id, "hi").toString())).statusCode());
    }

    @Test
    void responses_on_an_unknown_conversation_get_404() throws Exception {
        HttpResponse<String> answer = send(post("/responses", body("conv_x", "hi").toString()));
        assertEquals(404, answer.statusCode());
        JsonNode error = JSON.readTree(answer.body()).get("error");
        assertEquals("Conversation with id 'conv_x' not found.", error.get("message").asText());
        assertEquals("conversation", error.get("param").asText());
        assertTrue(error.get("code").isNull());
    }

    @Test
    void a_second_request_on_a_busy_conversation_is_rejected_as_locked() throws Exception {
        String conv = conversation();
        HttpResponse<InputStream> first = client.send(post("/responses", body(conv, "!stall=500 first").toString()),
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<String> second = send(post("/responses", body(conv, "second").toString()));

        assertEquals(400, second.statusCode());
        JsonNode error = JSON.readTree(second.body()).get("error");
        assertEquals("conversation_locked", error.get("code").asText());
        assertEquals("conversation", error.get("param").asText());
        assertEquals("Another process is currently operating on this conversation. Please retry in a few seconds.",
                error.get("message").asText());
        assertEquals("Echo: first", new Sse(first, events(Captured.parse(new String(first.body().readAllBytes(),
                StandardCharsets.UTF_8))), false).text());
        assertEquals("Echo: third", stream(conv, "third").text());
        assertEquals(1, fake.conversationLockedCount());
        assertEquals(2, fake.maxConcurrentResponsesPerConversation());
    }

    @Test
    void keep_alive_serves_sequential_requests_on_one_connection_without_locking() throws Exception {
        String conv = conversation();
        for (String input : List.of("one", "two", "three")) {
            assertEquals("Echo: " + input, stream(conv, input).text());
        }
        assertEquals(200, send(get("/conversations/" + conv)).statusCode());
        assertEquals(1, fake.connectionsAccepted());
        assertEquals(0, fake.conversationLockedCount());
        assertEquals(1, fake.maxConcurrentResponsesPerConversation());
    }

    @Test
    void fail_directive_fails_the_first_attempts_of_that_input_then_streams() throws Exception {
        String conv = conversation();
        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<String> failed = send(post("/responses", body(conv, "!fail=500x2 hi").toString()));
            assertEquals(500, failed.statusCode());
            assertEquals("server_error", JSON.readTree(failed.body()).at("/error/type").asText());
        }
        assertEquals(500, send(post("/responses", body(conv, "!fail=500x1 other").toString())).statusCode());
        assertEquals("Echo: hi", stream(conv, "!fail=500x2 hi").text());
    }

    @Test
    void retryable_failures_carry_their_codes_and_retry_headers() throws Exception {
        String conv = conversation();
        HttpResponse<String> limited = send(post("/responses", body(conv, "!fail=429x1 a").toString()));
        assertEquals(429, limited.statusCode());
        assertEquals("1", limited.headers().firstValue("retry-after").orElseThrow());
        assertEquals("rate_limit_exceeded", JSON.readTree(limited.body()).at("/error/code").asText());

        HttpResponse<String> limitedMs = send(post("/responses", body(conv, "!fail=429msx1 b").toString()));
        assertEquals(429, limitedMs.statusCode());
        assertEquals("200", limitedMs.headers().firstValue("retry-after-ms").orElseThrow());
        assertTrue(limitedMs.headers().firstValue("retry-after").isEmpty());

        HttpResponse<String> overloaded = send(post("/responses", body(conv, "!fail=503x1 c").toString()));
        assertEquals(503, overloaded.statusCode());
        assertEquals("server_is_overloaded", JSON.readTree(overloaded.body()).at("/error/code").asText());
        assertEquals("service_unavailable_error", JSON.readTree(overloaded.body()).at("/error/type").asText());
        assertEquals(408, send(post("/responses", body(conv, "!fail=408x1 d").toString())).statusCode());
        assertEquals(409, send(post("/responses", body(conv, "!fail=409x1 e").toString())).statusCode());
    }

    @Test
    void quota_directive_always_answers_insufficient_quota_without_retry_after() throws Exception {
        String conv = conversation();
        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<String> answer = send(post("/responses", body(conv, "!quota hi").toString()));
            assertEquals(429, answer.statusCode());
            assertTrue(answer.headers().firstValue("retry-after").isEmpty());
            JsonNode error = JSON.readTree(answer.body()).get("error");
            assertEquals("insufficient_quota", error.get("code").asText());
            assertEquals("insufficient_quota", error.get("type").asText());
            assertTrue(error.get("message").asText().startsWith("You exceeded your current quota"));
        }
    }

    @Test
    void cut_directive_closes_the_socket_after_n_deltas_only_on_the_first_attempt() throws Exception {
        String conv = conversation();
        Sse first = stream(conv, "!cut=2 one two three");
        assertTrue(first.cut());
        assertEquals(List.of("Echo: ", "one "), first.deltas());
        assertTrue(first.ofType("response.completed").isEmpty());

        Sse retry = stream(conv, "!cut=2 one two three");
        assertFalse(retry.cut());
        assertEquals("Echo: one two three", retry.text());
        assertEquals(0, fake.conversationLockedCount());
    }

    @Test
    void cut_zero_cuts_before_any_text_and_cutalways_cuts_every_attempt() throws Exception {
        String conv = conversation();
        Sse early = stream(conv, "!cut=0 hi");
        assertTrue(early.cut());
        assertTrue(early.deltas().isEmpty());
        assertEquals(1, early.ofType("response.in_progress").size());
        for (int attempt = 1; attempt <= 2; attempt++) {
            Sse sse = stream(conv, "!cutalways=1 a b");
            assertTrue(sse.cut());
            assertEquals(List.of("Echo: "), sse.deltas());
        }
    }

    @Test
    void failed_incomplete_and_errorevent_directives_end_the_stream_early() throws Exception {
        String conv = conversation();
        Sse failed = stream(conv, "!failed hi");
        assertEquals("response.failed", failed.last().type());
        assertEquals("failed", failed.last().data().at("/response/status").asText());
        assertEquals("server_error", failed.last().data().at("/response/error/code").asText());
        assertTrue(failed.deltas().isEmpty());

        Sse incomplete = stream(conv, "!incomplete one two three four");
        assertEquals("response.incomplete", incomplete.last().type());
        assertEquals("max_output_tokens", incomplete.last().data().at("/response/incomplete_details/reason").asText());
        assertEquals("Echo: one two ", incomplete.text());

        Sse error = stream(conv, "!errorevent one two three four");
        assertEquals("error", error.last().type());
        assertEquals("server_error", error.last().data().get("code").asText());
        assertEquals("Something went wrong", error.last().data().get("message").asText());
        assertTrue(error.last().data().get("param").isNull());
        assertFalse(failed.cut() || incomplete.cut() || error.cut());
    }

    @Test
    void done_directive_appends_the_done_marker_after_completed() throws Exception {
        Sse sse = stream(conversation(), "!done hi");
        assertNull(sse.last().data());
        assertEquals("response.completed", sse.events().get(sse.events().size() - 2).type());
    }

    @Test
    void words_delay_and_stall_shape_the_reply_and_its_timing() throws Exception {
        long start = System.nanoTime();
        Sse sse = stream(conversation(), "!words=3 !delay=50 !stall=300 ignored");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of("w1 ", "w2 ", "w3"), sse.deltas());
        assertTrue(millis >= 450, "took " + millis + " ms");
    }

    @Test
    void tool_directive_streams_a_function_call_and_the_follow_up_echoes_its_output() throws Exception {
        String conv = conversation();
        Sse call = stream(conv, "!tool=Zocca weather please");
        assertTrue(call.deltas().isEmpty());
        JsonNode added = call.ofType("response.output_item.added").getFirst().data().get("item");
        assertEquals("function_call", added.get("type").asText());
        assertEquals("get_weather", added.get("name").asText());
        assertEquals("", added.get("arguments").asText());
        assertTrue(added.get("id").asText().startsWith("fc_"));
        String args = String.join("", call.ofType("response.function_call_arguments.delta").stream()
                .map(e -> e.data().get("delta").asText()).toList());
        assertEquals("{\"city\":\"Zocca\",\"units\":\"metric\"}", args);
        assertTrue(call.ofType("response.function_call_arguments.delta").size() > 1);
        assertEquals(args, call.ofType("response.function_call_arguments.done").getFirst().data().path("arguments")
                .asText());
        JsonNode done = call.ofType("response.output_item.done").getFirst().data().get("item");
        assertEquals(added.get("call_id"), done.get("call_id"));
        assertEquals(args, done.get("arguments").asText());
        assertEquals(done, call.last().data().at("/response/output/0"));
        assertEquals("response.completed", call.last().type());

        Sse answer = stream(conv, outputs(done.get("call_id").asText(), "sunny, 21 C"));
        assertEquals("Tool said: sunny, 21 C", answer.text());
        assertEquals(List.of("Tool ", "said: ", "sunny, ", "21 ", "C"), answer.deltas());
    }

    @Test
    void tools_directive_emits_two_calls_and_the_follow_up_joins_outputs_in_call_order() throws Exception {
        String conv = conversation();
        Sse call = stream(conv, "!tools=Rome,Oslo compare");
        List<JsonNode> items = call.ofType("response.output_item.done").stream().map(e -> e.data()).toList();
        assertEquals(2, items.size());
        assertEquals(0, items.get(0).get("output_index").asInt());
        assertEquals(1, items.get(1).get("output_index").asInt());
        String rome = items.get(0).at("/item/call_id").asText();
        String oslo = items.get(1).at("/item/call_id").asText();
        assertNotEquals(rome, oslo);
        assertTrue(items.get(1).at("/item/arguments").asText().contains("Oslo"));
        assertEquals(2, call.last().data().at("/response/output").size());

        assertEquals("Tool said: warm | cold", stream(conv, outputs(oslo, "cold", rome, "warm")).text());
    }

    @Test
    void a_follow_up_with_an_unknown_call_id_is_rejected() throws Exception {
        HttpResponse<String> answer = send(post("/responses",
                body(conversation(), outputs("call_x", "sunny")).toString()));
        assertEquals(400, answer.statusCode());
        JsonNode error = JSON.readTree(answer.body()).get("error");
        assertEquals("No tool call found for function call output with call_id call_x.", error.get("message").asText());
        assertEquals("input", error.get("param").asText());
    }

    @Test
    void requests_are_recorded_in_order_with_lower_case_headers() throws Exception {
        String conv = conversation();
        stream(conv, "hi");
        send(HttpRequest.newBuilder(URI.create(fake.weatherBaseUrl() + "/geo/1.0/direct?q=Zocca&limit=1&appid=x"))
                .build());
        List<FakeOpenAi.RecordedRequest> requests = fake.requests();
        assertEquals(3, requests.size());
        assertEquals("/v1/conversations", requests.get(0).path());
        FakeOpenAi.RecordedRequest responses = requests.get(1);
        assertEquals("POST", responses.method());
        assertEquals("/v1/responses", responses.path());
        assertEquals("Bearer " + FakeOpenAi.API_KEY, responses.headers().get("authorization"));
        assertEquals("hi", responses.json().get("input").asText());
        assertEquals("q=Zocca&limit=1&appid=x", requests.get(2).query());
        assertThrows(RuntimeException.class, () -> requests.get(2).json());
    }

    @Test
    void geocoding_decodes_the_query_finds_cities_and_knows_nowhere() throws Exception {
        JsonNode place = JSON.readTree(send(weather("/geo/1.0/direct?q=San+Marino%2CSM&limit=1&appid="
                + FakeOpenAi.WEATHER_KEY)).body());
        assertEquals("San Marino", place.at("/0/name").asText());
        assertEquals(44.34, place.at("/0/lat").asDouble());
        assertEquals(10.99, place.at("/0/lon").asDouble());
        assertEquals("[]", send(weather("/geo/1.0/direct?q=nowhere&limit=1&appid=" + FakeOpenAi.WEATHER_KEY)).body());
        HttpResponse<String> denied = send(weather("/geo/1.0/direct?q=Zocca&limit=1&appid=wrong"));
        assertEquals(401, denied.statusCode());
        assertEquals(401, JSON.readTree(denied.body()).get("cod").asInt());
    }

    @Test
    void current_weather_returns_the_zocca_fixture() throws Exception {
        HttpResponse<String> answer = send(weather("/data/2.5/weather?lat=44.34&lon=10.99&units=metric&appid="
                + FakeOpenAi.WEATHER_KEY));
        assertEquals(200, answer.statusCode());
        try (InputStream fixture = getClass().getResourceAsStream("/fixtures/openweather-current-zocca.json")) {
            assertEquals(JSON.readTree(fixture), JSON.readTree(answer.body()));
        }
        assertEquals("Zocca", JSON.readTree(answer.body()).get("name").asText());
        assertEquals(401, send(weather("/data/2.5/weather?lat=1&lon=2&appid=nope")).statusCode());
    }

    @Test
    void slowville_geocoding_does_not_answer_within_a_second() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(fake.weatherBaseUrl()
                + "/geo/1.0/direct?q=Slowville&limit=1&appid=" + FakeOpenAi.WEATHER_KEY))
                .timeout(Duration.ofMillis(1000)).build();
        assertThrows(HttpTimeoutException.class, () -> client.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void unknown_paths_get_404_json_and_close_stops_accepting() throws Exception {
        assertEquals(fake.weatherBaseUrl() + "/v1", fake.baseUrl());
        assertEquals("http://127.0.0.1:" + fake.port(), fake.weatherBaseUrl());
        HttpResponse<String> missing = send(get("/nope"));
        assertEquals(404, missing.statusCode());
        assertEquals("invalid_request_error", JSON.readTree(missing.body()).at("/error/type").asText());
        assertEquals(404, send(weather("/elsewhere")).statusCode());

        fake.close();
        assertThrows(IOException.class, () -> send(weather("/data/2.5/weather")));
    }

    // ---- helpers ----

    private HttpRequest.Builder openAi(String path) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + FakeOpenAi.API_KEY).header("Content-Type", "application/json");
    }

    private HttpRequest post(String path, String json) {
        return openAi(path).POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private HttpRequest get(String path) {
        return openAi(path).GET().build();
    }

    private HttpRequest weather(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(fake.weatherBaseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(20)).build();
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private String conversation() throws Exception {
        return JSON.readTree(send(post("/conversations", "{\"metadata\":{}}")).body()).get("id").asText();
    }

    private static ObjectNode body(String conversation, Object input) {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt-test").put("instructions", "Be brief.");
        body.putArray("tools");
        body.put("stream", true).put("conversation", conversation);
        body.set("input", input instanceof JsonNode node ? node : JSON.getNodeFactory().textNode((String) input));
        return body;
    }

    /** function_call_output items from (call_id, output) pairs. */
    private static ArrayNode outputs(String... callIdsAndOutputs) {
        ArrayNode items = JSON.createArrayNode();
        IntStream.range(0, callIdsAndOutputs.length / 2).forEach(i -> items.addObject()
                .put("type", "function_call_output").put("call_id", callIdsAndOutputs[2 * i])
                .put("output", callIdsAndOutputs[2 * i + 1]));
        return items;
    }

    /** Posts a streamed request and reads the whole answer; a connection ending mid-stream counts as a cut. */
    private Sse stream(String conversation, Object input) throws Exception {
        Captured captured = Captured.send(client, post("/responses", body(conversation, input).toString()));
        return new Sse(captured.response(), events(captured.frames()), captured.cut());
    }

    private static List<Event> events(List<Captured.Frame> frames) {
        return frames.stream().map(frame -> new Event(frame.event(), frame.data())).toList();
    }
}
