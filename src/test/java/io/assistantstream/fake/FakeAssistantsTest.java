package io.assistantstream.fake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeAssistantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT_FIXTURE = "assistants-create-run-stream-text";
    private static final String TOOL_FIXTURE = "assistants-create-thread-and-run-stream-requires-action";
    private static final String SUBMIT_FIXTURE = "assistants-submit-tool-outputs-stream";

    private FakeOpenAi fake;
    private HttpClient client;

    /** A run's stream as read until the end (or the cut). */
    private record Run(Captured captured) {
        List<Captured.Frame> frames() {
            return captured.frames();
        }

        List<String> events() {
            return frames().stream().map(Captured.Frame::event).toList();
        }

        List<JsonNode> data(String event) {
            return frames().stream().filter(f -> event.equals(f.event())).map(Captured.Frame::data).toList();
        }

        JsonNode first(String event) {
            return data(event).getFirst();
        }

        List<String> deltas() {
            return data("thread.message.delta").stream().map(d -> d.at("/delta/content/0/text/value").asText())
                    .toList();
        }

        String text() {
            return String.join("", deltas());
        }

        /** The event before the final {@code done}. */
        Captured.Frame terminal() {
            assertEquals("done", frames().getLast().event());
            assertNull(frames().getLast().data());
            return frames().get(frames().size() - 2);
        }

        String runId() {
            return frames().getFirst().data().get("id").asText();
        }

        /** The tool call ids of the requires_action event, in order. */
        List<String> callIds() {
            return first("thread.run.requires_action").at("/required_action/submit_tool_outputs/tool_calls")
                    .findValuesAsText("id");
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
    void missing_beta_header_is_rejected_with_invalid_beta() throws Exception {
        JsonNode expected = JSON.readTree("{\"error\":{\"message\":\"You must provide the 'OpenAI-Beta' header to "
                + "access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_beta\"}}");
        for (HttpRequest request : List.of(
                noBeta("/assistants").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o\"}")).build(),
                noBeta("/threads/thread_unknown").GET().build(),
                noBeta("/threads").header("OpenAI-Beta", "assistants=v1").POST(body("{}")).build())) {
            HttpResponse<String> answer = send(request);
            assertEquals(400, answer.statusCode());
            assertEquals(expected, JSON.readTree(answer.body()));
        }
        HttpResponse<String> wrongKey = send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/threads"))
                .header("Authorization", "Bearer sk-wrong-key-123456").POST(body("{}")).build());
        assertEquals(401, wrongKey.statusCode());
        assertTrue(fake.assistants().isEmpty());
        assertTrue(fake.threads().isEmpty());
    }

    @Test
    void assistants_are_created_read_and_unknown_or_forgotten_ones_get_404() throws Exception {
        ObjectNode request = JSON.createObjectNode().put("model", "gpt-4o").put("name", "Weather")
                .put("instructions", "Be brief.");
        request.set("tools", weatherTools());
        JsonNode assistant = JSON.readTree(send(post("/assistants", request.toString())).body());

        String id = assistant.get("id").asText();
        assertTrue(id.matches("asst_[0-9a-f]{24}"), id);
        assertEquals(List.of("id", "object", "created_at", "name", "description", "model", "instructions", "tools",
                "metadata", "top_p", "temperature", "response_format"), fieldNames(assistant));
        assertEquals("assistant", assistant.get("object").asText());
        assertTrue(assistant.get("created_at").asLong() > 1_700_000_000L);
        assertEquals("Weather", assistant.get("name").asText());
        assertTrue(assistant.get("description").isNull());
        assertEquals("gpt-4o", assistant.get("model").asText());
        assertEquals("Be brief.", assistant.get("instructions").asText());
        assertEquals(weatherTools(), assistant.get("tools"));
        assertEquals(JSON.createObjectNode(), assistant.get("metadata"));
        assertEquals(1.0, assistant.get("top_p").asDouble());
        assertEquals(1.0, assistant.get("temperature").asDouble());
        assertEquals("auto", assistant.get("response_format").asText());
        assertEquals(assistant, JSON.readTree(send(get("/assistants/" + id)).body()));
        assertEquals(Set.of(id), fake.assistants());

        assertError(send(get("/assistants/asst_nope")), 404, "No assistant found with id 'asst_nope'.", null, null);
        fake.forgetAssistant(id);
        assertError(send(get("/assistants/" + id)), 404, "No assistant found with id '" + id + "'.", null, null);
    }

    @Test
    void an_assistant_needs_a_model_and_function_tools_in_the_assistants_nesting() throws Exception {
        assertError(send(post("/assistants", "{\"name\":\"x\"}")), 400, "Missing required parameter: 'model'.",
                "model", "missing_required_parameter");
        String flat = "{\"model\":\"gpt-4o\",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\","
                + "\"parameters\":{\"type\":\"object\"},\"strict\":true}]}";
        assertError(send(post("/assistants", flat)), 400, "Missing required parameter: 'tools[0].function'.",
                "tools[0].function", "missing_required_parameter");
        assertTrue(fake.assistants().isEmpty());
    }

    @Test
    void threads_are_created_read_and_their_metadata_merged() throws Exception {
        JsonNode thread = JSON.readTree(send(post("/threads", "{\"metadata\":{\"chat\":\"c1\"}}")).body());
        String id = thread.get("id").asText();
        assertTrue(id.matches("thread_[0-9a-f]{24}"), id);
        assertEquals(List.of("id", "object", "created_at", "metadata", "tool_resources"), fieldNames(thread));
        assertEquals("thread", thread.get("object").asText());
        assertTrue(thread.get("created_at").asLong() > 1_700_000_000L);
        assertEquals(JSON.createObjectNode(), thread.get("tool_resources"));
        assertEquals(thread, JSON.readTree(send(get("/threads/" + id)).body()));

        JsonNode modified = JSON.readTree(send(post("/threads/" + id, "{\"metadata\":{\"lease\":\"w1\"}}")).body());
        JsonNode merged = JSON.readTree("{\"chat\":\"c1\",\"lease\":\"w1\"}");
        assertEquals(merged, modified.get("metadata"));
        assertEquals(thread.get("created_at"), modified.get("created_at"));
        assertEquals(merged, JSON.readTree(send(get("/threads/" + id)).body()).get("metadata"));
        assertEquals(merged, fake.threadMetadata(id));
        assertEquals(Set.of(id), fake.threads());
        assertEquals("{}", JSON.readTree(send(post("/threads", "")).body()).get("metadata").toString());
    }

    @Test
    void thread_metadata_beyond_openai_limits_is_rejected() throws Exception {
        String id = thread();
        send(post("/threads/" + id, "{\"metadata\":{\"keep\":\"me\"}}"));
        ObjectNode sixteenMore = JSON.createObjectNode();
        IntStream.range(0, 16).forEach(i -> sixteenMore.put("k" + i, "v"));
        String longKey = "k".repeat(65);
        Map<String, String> rejected = Map.of(
                JSON.createObjectNode().set("metadata", sixteenMore).toString(),
                "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an "
                        + "object with 17 properties instead.",
                "{\"metadata\":{\"" + longKey + "\":\"v\"}}",
                "Invalid property name in 'metadata': '" + longKey + "' is too long. Expected a string with maximum "
                        + "length 64, but got a string with length 65 instead.",
                "{\"metadata\":{\"k\":\"" + "v".repeat(513) + "\"}}",
                "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string "
                        + "with length 513 instead.",
                "{\"metadata\":{\"k\":7}}",
                "Invalid type for 'metadata.k': expected a string, but got an integer instead.");
        for (Map.Entry<String, String> request : rejected.entrySet()) {
            HttpResponse<String> answer = send(post("/threads/" + id, request.getKey()));
            assertEquals(400, answer.statusCode(), request.getKey());
            JsonNode error = JSON.readTree(answer.body()).get("error");
            assertEquals(request.getValue(), error.get("message").asText());
            assertEquals("metadata", error.get("param").asText());
            assertEquals("invalid_request_error", error.get("type").asText());
        }
        assertEquals(400, send(post("/threads", "{\"metadata\":{\"k\":7}}")).statusCode());
        assertEquals(JSON.readTree("{\"keep\":\"me\"}"), fake.threadMetadata(id));
        assertEquals(1, fake.threads().size());
    }

    @Test
    void unknown_or_forgotten_threads_get_404_on_every_route() throws Exception {
        String assistant = assistant();
        String forgotten = thread();
        fake.forgetThread(forgotten);
        for (String id : List.of("thread_nope", forgotten)) {
            String message = "No thread found with id '" + id + "'.";
            assertError(send(get("/threads/" + id)), 404, message, null, null);
            assertError(send(post("/threads/" + id, "{\"metadata\":{}}")), 404, message, null, null);
            assertError(send(post("/threads/" + id + "/messages", "{\"role\":\"user\",\"content\":\"hi\"}")), 404,
                    message, null, null);
            assertError(send(post("/threads/" + id + "/runs", runBody(assistant))), 404, message, null, null);
            assertError(send(get("/threads/" + id + "/runs")), 404, message, null, null);
            assertError(send(post("/threads/" + id + "/runs/run_x/cancel", "")), 404, message, null, null);
        }
        assertError(send(get("/threads/" + thread() + "/runs/run_x")), 404, "No run found with id 'run_x'.", null,
                null);
    }

    @Test
    void a_message_is_returned_as_a_thread_message() throws Exception {
        String thread = thread();
        JsonNode message = JSON.readTree(send(post("/threads/" + thread + "/messages",
                "{\"role\":\"user\",\"content\":\"hello there\"}")).body());
        assertEquals(List.of("id", "object", "created_at", "assistant_id", "thread_id", "run_id", "role", "content",
                "attachments", "metadata"), fieldNames(message));
        assertTrue(message.get("id").asText().matches("msg_[0-9a-f]{24}"));
        assertEquals("thread.message", message.get("object").asText());
        assertTrue(message.get("assistant_id").isNull());
        assertEquals(thread, message.get("thread_id").asText());
        assertTrue(message.get("run_id").isNull());
        assertEquals("user", message.get("role").asText());
        assertEquals(JSON.readTree("[{\"type\":\"text\",\"text\":{\"value\":\"hello there\",\"annotations\":[]}}]"),
                message.get("content"));
        assertEquals("[]", message.get("attachments").toString());
        assertEquals("{}", message.get("metadata").toString());
    }

    @Test
    void a_text_run_streams_the_transcripts_events_with_their_fields() throws Exception {
        String assistant = JSON.readTree(send(post("/assistants", "{\"model\":\"gpt-4o\"}")).body()).get("id")
                .asText();
        String thread = thread();
        message(thread, "hi there");
        Run run = run(thread, assistant);

        assertLike(TEXT_FIXTURE, 0, run);
        assertEquals(200, run.captured().response().statusCode());
        assertTrue(run.captured().response().headers().firstValue("content-type").orElseThrow()
                .startsWith("text/event-stream"));
        assertTrue(run.captured().response().headers().firstValue("x-request-id").orElseThrow().startsWith("req_"));
        assertEquals(List.of("Echo: ", "hi ", "there"), run.deltas());
        String runId = run.runId();
        assertTrue(runId.matches("run_[0-9a-f]{24}"), runId);
        JsonNode created = run.first("thread.run.created");
        assertEquals("queued", created.get("status").asText());
        assertEquals(created.get("created_at").asLong() + 600, created.get("expires_at").asLong());
        assertEquals("in_progress", run.first("thread.run.in_progress").get("status").asText());
        assertTrue(run.first("thread.run.in_progress").get("started_at").asLong() > 1_700_000_000L);
        for (Captured.Frame frame : run.frames().subList(0, run.frames().size() - 1)) {
            JsonNode data = frame.data();
            String ownId = frame.event().startsWith("thread.run.step") ? "step_"
                    : frame.event().startsWith("thread.message") ? "msg_" : "run_";
            assertTrue(data.get("id").asText().startsWith(ownId), frame.event());
            if (data.has("thread_id")) {
                assertEquals(thread, data.get("thread_id").asText(), frame.event());
                assertEquals(assistant, data.get("assistant_id").asText(), frame.event());
            }
            if (data.has("run_id")) {
                assertEquals(runId, data.get("run_id").asText(), frame.event());
            }
        }
        String messageId = run.first("thread.message.created").get("id").asText();
        assertEquals(messageId, run.first("thread.run.step.created").at("/step_details/message_creation/message_id")
                .asText());
        assertTrue(run.data("thread.message.delta").stream().allMatch(d -> d.get("id").asText().equals(messageId)));
        JsonNode message = run.first("thread.message.completed");
        assertEquals("Echo: hi there", message.at("/content/0/text/value").asText());
        assertEquals("completed", message.get("status").asText());
        assertEquals("completed", run.first("thread.run.step.completed").get("status").asText());
        JsonNode completed = run.terminal().data();
        assertEquals("thread.run.completed", run.terminal().event());
        assertEquals("completed", completed.get("status").asText());
        assertTrue(completed.get("completed_at").asLong() > 1_700_000_000L);
        assertTrue(completed.get("expires_at").isNull());
        assertEquals(3, completed.at("/usage/completion_tokens").asInt());
        assertEquals(Map.of(runId, "completed"), fake.runs(thread));
        assertEquals(completed, JSON.readTree(send(get("/threads/" + thread + "/runs/" + runId)).body()));
    }

    @Test
    void a_tool_run_requires_action_and_the_submit_stream_answers_with_the_output() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!tool=Zocca weather please");
        Run call = run(thread, assistant);

        assertLike(TOOL_FIXTURE, 1, call);
        JsonNode opened = call.first("thread.run.step.delta").at("/delta/step_details/tool_calls/0");
        String callId = opened.get("id").asText();
        assertTrue(callId.matches("call_[0-9a-f]{24}"), callId);
        assertEquals("get_weather", opened.at("/function/name").asText());
        String arguments = String.join("", call.data("thread.run.step.delta").stream()
                .map(d -> d.at("/delta/step_details/tool_calls/0/function/arguments").asText()).toList());
        assertEquals("{\"city\":\"Zocca\",\"units\":\"metric\"}", arguments);
        JsonNode required = call.terminal().data();
        assertEquals("requires_action", required.get("status").asText());
        assertEquals(JSON.createObjectNode().put("id", callId).put("type", "function").set("function",
                        JSON.createObjectNode().put("name", "get_weather").put("arguments", arguments)),
                required.at("/required_action/submit_tool_outputs/tool_calls/0"));
        assertEquals(Map.of(call.runId(), "requires_action"), fake.runs(thread));
        assertError(send(post("/threads/" + thread + "/messages", "{\"role\":\"user\",\"content\":\"more\"}")),
                400, "Can't add messages to " + thread + " while a run " + call.runId() + " is active.", null, null);
        assertEquals("requires_action", JSON.readTree(send(get("/threads/" + thread + "/runs/" + call.runId()))
                .body()).get("status").asText());

        Run answer = submit(thread, call.runId(), callId, "sunny, 21 C");
        assertLike(SUBMIT_FIXTURE, 0, answer);
        JsonNode toolStep = answer.frames().getFirst().data();
        assertEquals(call.first("thread.run.step.created").get("id"), toolStep.get("id"));
        assertEquals("completed", toolStep.get("status").asText());
        assertEquals(JSON.createObjectNode().put("id", callId).put("type", "function").set("function",
                        JSON.createObjectNode().put("name", "get_weather").put("arguments", arguments)
                                .put("output", "sunny, 21 C")),
                toolStep.at("/step_details/tool_calls/0"));
        assertEquals(call.runId(), answer.first("thread.run.queued").get("id").asText());
        assertTrue(answer.first("thread.run.queued").get("required_action").isNull());
        assertEquals("Tool said: sunny, 21 C", answer.text());
        assertEquals("thread.run.completed", answer.terminal().event());
        assertEquals(Map.of(call.runId(), "completed"), fake.runs(thread));
    }

    @Test
    void two_tools_over_two_rounds_are_asked_again_with_new_ids_and_answered_in_call_order() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!tools=Rome,Oslo !rounds=2 compare");
        Run first = run(thread, assistant);
        List<String> firstIds = first.callIds();
        assertEquals(2, firstIds.size());
        assertEquals(List.of(0, 1), first.data("thread.run.step.delta").stream()
                .map(d -> d.at("/delta/step_details/tool_calls/0/index").asInt()).distinct().toList());
        assertTrue(first.first("thread.run.requires_action").toString().contains("Oslo"));

        Run second = submit(thread, first.runId(), firstIds.get(1), "cold", firstIds.get(0), "warm");
        assertEquals("thread.run.step.completed", second.frames().getFirst().event());
        assertEquals("thread.run.requires_action", second.terminal().event());
        assertEquals(List.of("warm", "cold"), second.frames().getFirst().data().at("/step_details/tool_calls")
                .findValuesAsText("output"));
        List<String> secondIds = second.callIds();
        assertEquals(2, secondIds.size());
        assertTrue(secondIds.stream().noneMatch(firstIds::contains));
        assertTrue(second.deltas().isEmpty());

        Run answer = submit(thread, first.runId(), secondIds.get(0), "warmer", secondIds.get(1), "colder");
        assertEquals("Tool said: warmer | colder", answer.text());
        assertEquals("thread.run.completed", answer.terminal().event());
    }

    @Test
    void failure_directives_end_the_run_with_their_terminal_event_and_free_the_thread() throws Exception {
        String assistant = assistant();
        String thread = thread();

        message(thread, "!failed hi");
        Run failed = run(thread, assistant);
        assertEquals("thread.run.failed", failed.terminal().event());
        assertEquals(List.of("thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.failed",
                "done"), failed.events());
        JsonNode run = failed.terminal().data();
        assertEquals("failed", run.get("status").asText());
        assertEquals(JSON.readTree("{\"code\":\"server_error\",\"message\":\"Sorry, something went wrong.\"}"),
                run.get("last_error"));
        assertTrue(run.get("failed_at").asLong() > 1_700_000_000L);

        message(thread, "!expired hi");
        Run expired = run(thread, assistant);
        assertEquals("thread.run.expired", expired.terminal().event());
        run = expired.terminal().data();
        assertEquals("expired", run.get("status").asText());
        assertTrue(run.get("expires_at").asLong() <= System.currentTimeMillis() / 1000);
        assertTrue(run.get("last_error").isNull());

        message(thread, "!cancelled hi");
        Run cancelled = run(thread, assistant);
        assertEquals("thread.run.cancelled", cancelled.terminal().event());
        assertEquals("cancelled", cancelled.terminal().data().get("status").asText());
        assertTrue(cancelled.terminal().data().get("cancelled_at").asLong() > 1_700_000_000L);

        message(thread, "!incomplete one two three four");
        Run incomplete = run(thread, assistant);
        assertEquals("Echo: one two ", incomplete.text());
        List<String> events = incomplete.events();
        assertEquals(List.of("thread.message.incomplete", "thread.run.incomplete", "done"),
                events.subList(events.size() - 3, events.size()));
        assertEquals("incomplete", incomplete.first("thread.message.incomplete").get("status").asText());
        assertEquals("Echo: one two ", incomplete.first("thread.message.incomplete").at("/content/0/text/value")
                .asText());
        assertEquals("max_completion_tokens", incomplete.terminal().data().at("/incomplete_details/reason").asText());

        message(thread, "!errorevent one two three four");
        Run error = run(thread, assistant);
        assertEquals("Echo: one two ", error.text());
        assertEquals("error", error.terminal().event());
        assertEquals(JSON.readTree("{\"code\":\"server_error\",\"message\":\"Something went wrong\",\"param\":null,"
                + "\"type\":\"server_error\"}"), error.terminal().data());

        assertEquals(List.of("failed", "expired", "cancelled", "incomplete", "failed"),
                List.copyOf(fake.runs(thread).values()));
        assertFalse(failed.captured().cut() || incomplete.captured().cut() || error.captured().cut());
        assertEquals(0, fake.activeRunRejections());
    }

    @Test
    void messages_and_runs_are_rejected_while_a_run_is_active() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!stall=500 first");
        HttpResponse<InputStream> streaming = client.send(post("/threads/" + thread + "/runs", runBody(assistant)),
                HttpResponse.BodyHandlers.ofInputStream());
        String active = fake.runs(thread).keySet().iterator().next();

        assertError(send(post("/threads/" + thread + "/messages", "{\"role\":\"user\",\"content\":\"second\"}")),
                400, "Can't add messages to " + thread + " while a run " + active + " is active.", null, null);
        assertError(send(post("/threads/" + thread + "/runs", runBody(assistant))), 400,
                "Thread " + thread + " already has an active run " + active + ".", null, null);
        Run first = new Run(new Captured(streaming, Captured.parse(new String(streaming.body().readAllBytes(),
                StandardCharsets.UTF_8)), false));
        assertEquals("Echo: first", first.text());

        message(thread, "third");
        assertEquals("Echo: third", run(thread, assistant).text());
        assertEquals(2, fake.activeRunRejections());
        assertEquals(2, fake.maxConcurrentRunsPerThread());
    }

    @Test
    void a_well_behaved_client_stays_at_one_run_per_thread() throws Exception {
        String assistant = assistant();
        String thread = thread();
        for (String text : List.of("one", "two")) {
            message(thread, text);
            assertEquals("Echo: " + text, run(thread, assistant).text());
        }
        assertEquals(1, fake.maxConcurrentRunsPerThread());
        assertEquals(0, fake.activeRunRejections());
    }

    @Test
    void cancel_makes_a_run_cancelling_then_cancelled_and_the_thread_takes_messages_again() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!tool=Zocca weather");
        String runId = run(thread, assistant).runId();

        HttpResponse<String> cancelling = send(post("/threads/" + thread + "/runs/" + runId + "/cancel", ""));
        assertEquals(200, cancelling.statusCode());
        assertEquals("cancelling", JSON.readTree(cancelling.body()).get("status").asText());
        assertEquals(400, send(post("/threads/" + thread + "/messages", "{\"role\":\"user\",\"content\":\"x\"}"))
                .statusCode());
        assertError(send(post("/threads/" + thread + "/runs/" + runId + "/cancel", "")), 400,
                "Cannot cancel run with status 'cancelling'.", null, null);

        JsonNode cancelled = awaitStatus(thread, runId, "cancelled");
        assertTrue(cancelled.get("cancelled_at").asLong() > 1_700_000_000L);
        assertTrue(cancelled.get("required_action").isNull());
        assertEquals(200, send(post("/threads/" + thread + "/messages", "{\"role\":\"user\",\"content\":\"x\"}"))
                .statusCode());
        assertError(send(post("/threads/" + thread + "/runs/" + runId + "/cancel", "")), 400,
                "Cannot cancel run with status 'cancelled'.", null, null);
        assertError(send(post("/threads/" + thread + "/runs/" + runId + "/submit_tool_outputs",
                        outputs("call_x", "sunny"))), 400,
                "Runs in status \"cancelled\" do not accept tool outputs.", null, null);
    }

    @Test
    void a_cancel_during_an_open_stream_ends_it_with_thread_run_cancelled() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!stall=400 hi");
        HttpResponse<InputStream> streaming = client.send(post("/threads/" + thread + "/runs", runBody(assistant)),
                HttpResponse.BodyHandlers.ofInputStream());
        String runId = fake.runs(thread).keySet().iterator().next();
        assertEquals(200, send(post("/threads/" + thread + "/runs/" + runId + "/cancel", "")).statusCode());

        Run run = new Run(new Captured(streaming, Captured.parse(new String(streaming.body().readAllBytes(),
                StandardCharsets.UTF_8)), false));
        assertEquals("thread.run.cancelled", run.terminal().event());
        assertEquals("cancelled", run.terminal().data().get("status").asText());
        assertTrue(run.deltas().isEmpty());
        assertEquals(Map.of(runId, "cancelled"), fake.runs(thread));
    }

    @Test
    void an_orphaned_run_blocks_its_thread_until_cancelled() throws Exception {
        String assistant = assistant();
        String thread = thread();
        String orphan = fake.orphanRun(thread);
        assertTrue(orphan.matches("run_[0-9a-f]{24}"), orphan);
        assertEquals(Map.of(orphan, "in_progress"), fake.runs(thread));
        assertThrows(IllegalStateException.class, () -> fake.orphanRun(thread));

        assertError(send(post("/threads/" + thread + "/messages", "{\"role\":\"user\",\"content\":\"hi\"}")), 400,
                "Can't add messages to " + thread + " while a run " + orphan + " is active.", null, null);
        assertError(send(post("/threads/" + thread + "/runs", runBody(assistant))), 400,
                "Thread " + thread + " already has an active run " + orphan + ".", null, null);
        assertEquals(2, fake.maxConcurrentRunsPerThread());

        send(post("/threads/" + thread + "/runs/" + orphan + "/cancel", ""));
        awaitStatus(thread, orphan, "cancelled");
        message(thread, "hi");
        assertEquals("Echo: hi", run(thread, assistant).text());
    }

    @Test
    void a_cut_leaves_the_run_in_progress_until_cancelled_and_the_retry_streams() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!cut=2 one two three");
        Run cut = run(thread, assistant);
        assertTrue(cut.captured().cut());
        assertEquals(List.of("Echo: ", "one "), cut.deltas());
        String runId = cut.runId();
        assertEquals(Map.of(runId, "in_progress"), fake.runs(thread));
        assertEquals(400, send(post("/threads/" + thread + "/runs", runBody(assistant))).statusCode());

        send(post("/threads/" + thread + "/runs/" + runId + "/cancel", ""));
        awaitStatus(thread, runId, "cancelled");
        Run retry = run(thread, assistant);
        assertFalse(retry.captured().cut());
        assertEquals("Echo: one two three", retry.text());
    }

    @Test
    void fail_and_quota_directives_answer_the_first_run_attempts_of_that_message() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!fail=500x2 hi");
        for (int attempt = 1; attempt <= 2; attempt++) {
            HttpResponse<String> failed = send(post("/threads/" + thread + "/runs", runBody(assistant)));
            assertEquals(500, failed.statusCode());
            assertEquals("server_error", JSON.readTree(failed.body()).at("/error/type").asText());
        }
        assertTrue(fake.runs(thread).isEmpty());
        assertEquals("Echo: hi", run(thread, assistant).text());

        message(thread, "!fail=429msx1 again");
        HttpResponse<String> limited = send(post("/threads/" + thread + "/runs", runBody(assistant)));
        assertEquals(429, limited.statusCode());
        assertEquals("200", limited.headers().firstValue("retry-after-ms").orElseThrow());

        message(thread, "!quota hi");
        HttpResponse<String> quota = send(post("/threads/" + thread + "/runs", runBody(assistant)));
        assertEquals(429, quota.statusCode());
        assertEquals("insufficient_quota", JSON.readTree(quota.body()).at("/error/code").asText());
        assertEquals(1, fake.runs(thread).size());
    }

    @Test
    void a_run_needs_a_known_assistant_and_stream_true() throws Exception {
        String thread = thread();
        assertError(send(post("/threads/" + thread + "/runs", runBody("asst_nope"))), 404,
                "No assistant found with id 'asst_nope'.", null, null);
        HttpResponse<String> unstreamed = send(post("/threads/" + thread + "/runs",
                "{\"assistant_id\":\"" + assistant() + "\"}"));
        assertEquals(400, unstreamed.statusCode());
        assertEquals("stream", JSON.readTree(unstreamed.body()).at("/error/param").asText());
        assertError(send(post("/threads/" + thread + "/runs", "{\"stream\":true}")), 400,
                "Missing required parameter: 'assistant_id'.", "assistant_id", "missing_required_parameter");
        assertTrue(fake.runs(thread).isEmpty());
    }

    @Test
    void tool_outputs_must_name_exactly_the_required_calls_in_one_request() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!tools=Rome,Oslo compare");
        Run call = run(thread, assistant);
        String rome = call.callIds().get(0);
        String oslo = call.callIds().get(1);
        String path = "/threads/" + thread + "/runs/" + call.runId() + "/submit_tool_outputs";

        assertError(send(post(path, outputs(rome, "warm"))), 400, "Expected tool outputs for call_ids ['"
                + rome + "', '" + oslo + "'], got ['" + rome + "'] (missing ['" + oslo + "']). All outputs must be "
                + "submitted in a single request.", null, null);
        assertError(send(post(path, outputs(rome, "warm", "call_x", "cold"))), 400, "Expected tool outputs "
                + "for call_ids ['" + rome + "', '" + oslo + "'], got ['" + rome + "', 'call_x'] (missing ['" + oslo
                + "']) (unknown ['call_x']). All outputs must be submitted in a single request.", null, null);
        assertEquals(Map.of(call.runId(), "requires_action"), fake.runs(thread));

        Run answer = submit(thread, call.runId(), rome, "warm", oslo, "cold");
        assertEquals("Tool said: warm | cold", answer.text());
        assertError(send(post(path, outputs(rome, "warm", oslo, "cold"))), 400,
                "Runs in status \"completed\" do not accept tool outputs.", null, null);
    }

    @Test
    void runs_are_listed_newest_first_with_limit_and_order() throws Exception {
        String assistant = assistant();
        String thread = thread();
        List<String> ids = new ArrayList<>();
        for (String text : List.of("one", "two", "three")) {
            message(thread, text);
            ids.add(run(thread, assistant).runId());
        }
        JsonNode newest = JSON.readTree(send(get("/threads/" + thread + "/runs?limit=2&order=desc")).body());
        assertEquals("list", newest.get("object").asText());
        assertEquals(List.of(ids.get(2), ids.get(1)), newest.get("data").findValuesAsText("id").stream()
                .filter(id -> id.startsWith("run_")).toList());
        assertEquals(ids.get(2), newest.get("first_id").asText());
        assertEquals(ids.get(1), newest.get("last_id").asText());
        assertTrue(newest.get("has_more").asBoolean());
        assertEquals(JSON.readTree(send(get("/threads/" + thread + "/runs/" + ids.get(2))).body()),
                newest.at("/data/0"));

        JsonNode oldest = JSON.readTree(send(get("/threads/" + thread + "/runs?order=asc")).body());
        assertEquals(3, oldest.get("data").size());
        assertEquals(ids.get(0), oldest.at("/data/0/id").asText());
        assertEquals(ids.get(2), oldest.get("last_id").asText());
        assertFalse(oldest.get("has_more").asBoolean());
        assertEquals(3, JSON.readTree(send(get("/threads/" + thread + "/runs")).body()).get("data").size());
    }

    @Test
    void words_delay_stall_and_stamp_shape_a_runs_text() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "!words=3 !delay=50 !stall=300 ignored");
        long start = System.nanoTime();
        Run words = run(thread, assistant);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of("w1 ", "w2 ", "w3"), words.deltas());
        assertTrue(millis >= 450, "took " + millis + " ms");

        message(thread, "!stamp a b");
        long before = System.currentTimeMillis() * 1000;
        Run stamped = run(thread, assistant);
        assertEquals(3, stamped.deltas().size());
        for (String delta : stamped.deltas()) {
            long micros = Long.parseLong(delta.trim());
            assertTrue(micros >= before && micros <= System.currentTimeMillis() * 1000 + 1000, delta);
        }
        assertEquals(stamped.text(), stamped.first("thread.message.completed").at("/content/0/text/value").asText());
    }

    @Test
    void the_assistants_calls_are_recorded_with_their_beta_header() throws Exception {
        String assistant = assistant();
        String thread = thread();
        message(thread, "hi");
        run(thread, assistant);
        List<FakeOpenAi.RecordedRequest> requests = fake.requests();
        assertEquals(List.of("POST /v1/assistants", "POST /v1/threads", "POST /v1/threads/" + thread + "/messages",
                "POST /v1/threads/" + thread + "/runs"), requests.stream().map(r -> r.method() + " " + r.path())
                .toList());
        assertTrue(requests.stream().allMatch(r -> "assistants=v2".equals(r.headers().get("openai-beta"))));
        assertEquals(assistant, requests.get(3).json().get("assistant_id").asText());
    }

    // ---- helpers ----

    /**
     * Asserts that a stream has the transcript's events in the transcript's order (a run of one delta event may be
     * longer or shorter) and that each event's data has exactly the fields, nested and in order, of its counterpart:
     * a delta run's first event that of the transcript's first, the others that of the transcript's later ones.
     */
    private static void assertLike(String fixture, int skip, Run run) throws IOException {
        List<Captured.Frame> expected;
        try (InputStream in = FakeAssistantsTest.class.getResourceAsStream("/fixtures/" + fixture
                + ".replayable.txt")) {
            expected = Captured.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        List<List<Captured.Frame>> want = groups(expected.subList(skip, expected.size()));
        List<List<Captured.Frame>> got = groups(run.frames());
        assertEquals(want.stream().map(g -> g.getFirst().event()).toList(),
                got.stream().map(g -> g.getFirst().event()).toList());
        for (int i = 0; i < got.size(); i++) {
            for (int j = 0; j < got.get(i).size(); j++) {
                Captured.Frame model = want.get(i).get(Math.min(j, want.get(i).size() - 1));
                assertEquals(fields(model.data(), ""), fields(got.get(i).get(j).data(), ""), model.event());
            }
        }
    }

    /** Splits frames into runs of consecutive frames with the same event name. */
    private static List<List<Captured.Frame>> groups(List<Captured.Frame> frames) {
        List<List<Captured.Frame>> groups = new ArrayList<>();
        for (Captured.Frame frame : frames) {
            if (groups.isEmpty() || !groups.getLast().getFirst().event().equals(frame.event())) {
                groups.add(new ArrayList<>());
            }
            groups.getLast().add(frame);
        }
        return groups;
    }

    /** The JSON pointers of every object field in a node, depth first, in order. */
    private static List<String> fields(JsonNode node, String at) {
        List<String> fields = new ArrayList<>();
        if (node != null && node.isObject()) {
            node.properties().forEach(field -> {
                fields.add(at + "/" + field.getKey());
                fields.addAll(fields(field.getValue(), at + "/" + field.getKey()));
            });
        } else if (node != null && node.isArray()) {
            IntStream.range(0, node.size()).forEach(i -> fields.addAll(fields(node.get(i), at + "/" + i)));
        }
        return fields;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void assertError(HttpResponse<String> answer, int status, String message, String param,
                                    String code) throws IOException {
        assertEquals(status, answer.statusCode(), answer.body());
        ObjectNode expected = JSON.createObjectNode();
        expected.putObject("error").put("message", message).put("type", "invalid_request_error").put("param", param)
                .put("code", code);
        assertEquals(expected, JSON.readTree(answer.body()));
    }

    /** The transcript's function tool, in the Assistants nesting. */
    private static ArrayNode weatherTools() throws IOException {
        return (ArrayNode) JSON.readTree("[{\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\","
                + "\"description\":\"Get the current weather in a given location\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"location\":{\"type\":\"string\",\"description\":\"The city and state, e.g. San "
                + "Francisco, CA\"},\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},"
                + "\"required\":[\"location\"]}}}]");
    }

    /** Polls the run until it has the status (failing after 2 s); returns it. */
    private JsonNode awaitStatus(String thread, String runId, String status) throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        JsonNode run;
        do {
            Thread.sleep(10);
            run = JSON.readTree(send(get("/threads/" + thread + "/runs/" + runId)).body());
        } while (!run.get("status").asText().equals(status) && System.nanoTime() < deadline);
        assertEquals(status, run.get("status").asText());
        return run;
    }

    private HttpRequest.Builder noBeta(String path) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + FakeOpenAi.API_KEY).header("Content-Type", "application/json");
    }

    private HttpRequest post(String path, String json) {
        return noBeta(path).header("OpenAI-Beta", "assistants=v2").POST(body(json)).build();
    }

    private HttpRequest get(String path) {
        return noBeta(path).header("OpenAI-Beta", "assistants=v2").GET().build();
    }

    private static HttpRequest.BodyPublisher body(String json) {
        return HttpRequest.BodyPublishers.ofString(json);
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** An assistant with the transcript's function tool. */
    private String assistant() throws Exception {
        ObjectNode request = JSON.createObjectNode().put("model", "gpt-4o").put("instructions", "Be brief.");
        request.set("tools", weatherTools());
        return JSON.readTree(send(post("/assistants", request.toString())).body()).get("id").asText();
    }

    private String thread() throws Exception {
        return JSON.readTree(send(post("/threads", "{}")).body()).get("id").asText();
    }

    private void message(String thread, String text) throws Exception {
        HttpResponse<String> answer = send(post("/threads/" + thread + "/messages",
                JSON.createObjectNode().put("role", "user").put("content", text).toString()));
        assertEquals(200, answer.statusCode(), answer.body());
    }

    private static String runBody(String assistant) {
        return JSON.createObjectNode().put("assistant_id", assistant).put("stream", true).toString();
    }

    private Run run(String thread, String assistant) throws Exception {
        return new Run(Captured.send(client, post("/threads/" + thread + "/runs", runBody(assistant))));
    }

    /** A submit_tool_outputs body from (tool_call_id, output) pairs. */
    private static String outputs(String... callIdsAndOutputs) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode outputs = body.putArray("tool_outputs");
        IntStream.range(0, callIdsAndOutputs.length / 2).forEach(i -> outputs.addObject()
                .put("tool_call_id", callIdsAndOutputs[2 * i]).put("output", callIdsAndOutputs[2 * i + 1]));
        return body.put("stream", true).toString();
    }

    private Run submit(String thread, String runId, String... callIdsAndOutputs) throws Exception {
        return new Run(Captured.send(client, post("/threads/" + thread + "/runs/" + runId + "/submit_tool_outputs",
                outputs(callIdsAndOutputs))));
    }
}
