package io.assistantstream;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.Rabbit;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static io.assistantstream.testing.TestWorld.statuses;
import static io.assistantstream.PipelineTest.all;
import static io.assistantstream.PipelineTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code OPENAI_API=assistants}: the seed's flow against the fake Assistants v2 server, end to end. */
class AssistantsBackendTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest().set("openai.api", "assistants");
    private final FakeOpenAi openAi = world.openAi();
    private final Rabbit rabbit = world.rabbit();
    private AssistantStream service;

    private String assistantKey() {
        return world.prefix() + "assistant_id";
    }

    private String threadOf(String channel) {
        return world.redis().get(world.prefix() + "thread:" + channel);
    }


    @Test
    void a_text_run_streams_its_deltas_and_every_call_carries_the_beta_header() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-a", "m1", "hello world");

        assertEquals(List.of("started", "responding", "in_progress", "completed"), statuses(frames));
        assertEquals("Echo: hello world", frames.getLast().get("message").asText());
        String thread = threadOf("chan-a");
        assertTrue(thread.startsWith("thread_"), thread);
        frames.forEach(frame -> assertEquals(thread, frame.get("thread_id").asText()));
        assertEquals("assistants", world.redis().hget(world.prefix() + "metadata:chan-a", "backend"));

        assertEquals("chan-a", only(openAi, "/v1/threads").json().path("metadata").path("channel").asText());
        JsonNode message = only(openAi, "/v1/threads/" + thread + "/messages").json();
        assertEquals("user", message.path("role").asText());
        assertEquals("hello world", message.path("content").asText());
        JsonNode run = only(openAi, "/v1/threads/" + thread + "/runs").json();
        assertEquals(world.redis().get(assistantKey()), run.path("assistant_id").asText());
        assertTrue(run.path("stream").asBoolean());
        List<FakeOpenAi.RecordedRequest> calls = openAi.requests().stream()
                .filter(r -> r.path().startsWith("/v1/")).toList();
        assertTrue(calls.size() >= 5, "assistant, thread, message, run, metadata: " + calls.size());
        calls.forEach(call -> assertEquals("assistants=v2", call.headers().get("openai-beta"), call.path()));
    }

    @Test
    void a_new_assistant_is_created_with_the_tools_and_stored_without_expiry() throws Exception {
        service = world.start();
        JsonNode created = only(openAi, "/v1/assistants").json();
        assertEquals("gpt-4o-mini", created.path("model").asText());
        assertEquals("assistant-stream", created.path("name").asText());
        assertEquals("You are a helpful assistant.", created.path("instructions").asText());
        JsonNode tool = created.path("tools").path(0);
        assertEquals("function", tool.path("type").asText());
        assertEquals("get_weather", tool.path("function").path("name").asText());
        assertTrue(tool.path("function").path("parameters").isObject(), tool.toString());

        String stored = world.redis().get(assistantKey());
        assertEquals(List.copyOf(openAi.assistants()), List.of(stored));
        assertEquals(-1L, world.redis().ttl(assistantKey()), "no expiry");
    }

    @Test
    void the_stored_assistant_is_verified_and_reused_after_a_restart() throws Exception {
        service = world.start();
        String first = world.redis().get(assistantKey());
        world.stop(service);
        service = world.start();

        assertEquals(first, world.redis().get(assistantKey()));
        assertEquals(1, all(openAi, "/v1/assistants").size(), "created once");
        assertEquals(1, all(openAi, "/v1/assistants/" + first).size(), "verified at the second start");
        assertEquals("completed", world.answer(service, "chan-r", "m", "hi").getLast().get("status").asText());
    }

    @Test
    void a_stored_assistant_unknown_upstream_is_replaced_by_a_new_one() throws Exception {
        world.redis().set(assistantKey(), "asst_gone");
        service = world.start();

        assertEquals(1, all(openAi, "/v1/assistants/asst_gone").size(), "verified first");
        String created = world.redis().get(assistantKey());
        assertNotEquals("asst_gone", created);
        assertTrue(openAi.assistants().contains(created));
        assertEquals("completed", world.answer(service, "chan-g", "m", "hi").getLast().get("status").asText());
    }

    @Test
    void an_assistant_deleted_while_the_service_runs_is_replaced_once_by_the_next_answers() throws Exception {
        service = world.start();
        String first = world.redis().get(assistantKey());
        openAi.forgetAssistant(first);
        world.redis().del(assistantKey()); // and its key lost too, say by a Redis without persistence

        try (WsClient client = WsClient.connect(service.port())) {
            for (int i = 0; i < 4; i++) {
                client.subscribe("chan-d" + i);
            }
            for (int i = 0; i < 4; i++) {
                rabbit.publish("chan-d" + i, "m" + i, "still there " + i);
            }
            Set<String> answers = new TreeSet<>();
            while (answers.size() < 4) {
                JsonNode last = client.framesUntil(frame -> frame.path("final_message").asBoolean()).getLast();
                answers.add(last.get("message_id").asText() + ": " + last.get("message").asText());
            }
            assertEquals(Set.of("m0: Echo: still there 0", "m1: Echo: still there 1", "m2: Echo: still there 2",
                    "m3: Echo: still there 3"), answers);
        }
        String second = world.redis().get(assistantKey());
        assertNotEquals(first, second);
        assertEquals(2, all(openAi, "/v1/assistants").size(), "one at start, one replacement for all four answers");
        for (int i = 0; i < 4; i++) {
            List<FakeOpenAi.RecordedRequest> runs = all(openAi, "/v1/threads/" + threadOf("chan-d" + i) + "/runs");
            assertEquals(second, runs.getLast().json().path("assistant_id").asText());
        }
    }

    @Test
    void changed_settings_update_the_stored_assistant_at_the_next_start() throws Exception {
        service = world.start();
        String id = world.redis().get(assistantKey());
        world.stop(service);
        world.set("openai.model", "gpt-4.1-mini").set("openai.instructions", "Be brief.");
        service = world.start();
        world.stop(service);
        service = world.start();

        assertEquals(id, world.redis().get(assistantKey()));
        List<FakeOpenAi.RecordedRequest> updates = all(openAi, "/v1/assistants/" + id).stream()
                .filter(request -> request.method().equals("POST")).toList();
        assertEquals(1, updates.size(), "updated once, at the start after the change");
        FakeOpenAi.RecordedRequest update = updates.getFirst();
        assertEquals("{\"model\":\"gpt-4.1-mini\",\"instructions\":\"Be brief.\"}", update.json().toString());
        assertEquals(1, all(openAi, "/v1/assistants").size(), "never created again");
    }

    @Test
    void the_service_does_not_start_when_the_stored_assistant_cannot_be_verified() {
        world.redis().set(assistantKey(), "asst_kept");
        world.set("openai.api.key", "sk-wrong-key-1234");
        AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> world.start());
        assertTrue(e.getMessage().contains("401"), e.getMessage());
        assertEquals("asst_kept", world.redis().get(assistantKey()), "a failed check replaces nothing");
        assertEquals(1, all(openAi, "/v1/assistants/asst_kept").size());
        assertEquals(0, all(openAi, "/v1/assistants").size(), "nothing created");
    }

    @Test
    void an_answer_that_fails_mid_run_cancels_its_run_and_the_next_message_finds_the_thread_free() throws Exception {
        service = world.start();
        JsonNode failed = world.answer(service, "chan-x", "m1", "weather !tool=Zocca !cut=1").getLast();
        assertEquals("The connection to the assistant broke", failed.get("message").asText(), failed.toString());
        String thread = threadOf("chan-x");
        String run = openAi.runs(thread).keySet().iterator().next();

        assertEquals(1, all(openAi, "/v1/threads/" + thread + "/runs/" + run + "/cancel").size(),
                "the failed answer cancelled its run");
        assertEquals("Echo: next", world.answer(service, "chan-x", "m2", "next").getLast().get("message").asText());
        assertEquals(0, openAi.activeRunRejections(), "the cancelled run no longer held the thread");
        assertEquals(1, openAi.requests().stream().filter(r -> r.path().endsWith("/submit_tool_outputs")).count(),
                "tool outputs are never submitted twice");
    }

    @Test
    void a_thread_gone_upstream_is_replaced_and_the_channel_remapped() throws Exception {
        service = world.start();
        world.answer(service, "chan-t", "m1", "first");
        String first = threadOf("chan-t");
        openAi.forgetThread(first);

        List<JsonNode> frames = world.answer(service, "chan-t", "m2", "second");
        String second = threadOf("chan-t");
        assertNotEquals(first, second);
        assertEquals("Echo: second", frames.getLast().get("message").asText());
        assertEquals(second, frames.getLast().get("thread_id").asText());
        assertEquals(2, all(openAi, "/v1/threads").size());
    }

    @Test
    void a_tool_round_trip_spans_two_streams() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-w", "m", "weather please !tool=Zocca");

        assertEquals(List.of("started", "processing", "responding", "in_progress", "completed"), statuses(frames));
        String text = frames.getLast().get("message").asText();
        assertTrue(text.startsWith("Tool said: {") && text.contains("\"location\":\"Zocca, IT\""), text);
        String thread = threadOf("chan-w");
        assertEquals(1, all(openAi, "/v1/threads/" + thread + "/runs").size());
        List<FakeOpenAi.RecordedRequest> submits = openAi.requests().stream()
                .filter(r -> r.path().endsWith("/submit_tool_outputs")).toList();
        assertEquals(1, submits.size());
        JsonNode submit = submits.getFirst().json();
        assertTrue(submit.path("stream").asBoolean());
        assertTrue(submit.path("tool_outputs").path(0).path("tool_call_id").asText().startsWith("call_"), submit.toString());
        assertTrue(submits.getFirst().path().startsWith("/v1/threads/" + thread + "/runs/run_"), submits.getFirst().path());
    }

    @Test
    void all_calls_of_a_step_run_together_and_outputs_go_back_as_often_as_the_model_asks() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-ww", "m", "!tools=Zocca,Nowhere !rounds=2");

        String text = frames.getLast().get("message").asText();
        assertEquals("completed", frames.getLast().get("status").asText(), frames.getLast().toString());
        assertTrue(text.contains("Zocca, IT") && text.contains(" | Error: no place called 'Nowhere' was found"), text);
        List<FakeOpenAi.RecordedRequest> submits = openAi.requests().stream()
                .filter(r -> r.path().endsWith("/submit_tool_outputs")).toList();
        assertEquals(2, submits.size(), "one submission per round");
        submits.forEach(s -> assertEquals(2, s.json().path("tool_outputs").size(), "both calls of the step"));
        assertEquals(2, frames.stream().filter(f -> f.path("status").asText().equals("processing")).count());
    }

    @Test
    void runs_that_fail_expire_are_cancelled_or_cut_short_and_error_events_end_in_error_frames() throws Exception {
        service = world.start();
        String[][] cases = {
                {"!failed", "The assistant failed to answer", "Sorry, something went wrong. (server_error)"},
                {"!expired", "The assistant took too long to answer", "expired"},
                {"!cancelled", "The answer was cancelled", "was cancelled"},
                {"!incomplete", "The answer was cut short", "incomplete: max_completion_tokens"},
                {"!errorevent", "The assistant failed to answer", "Something went wrong (server_error)"}};
        for (String[] c : cases) {
            JsonNode last = world.answer(service, "chan-" + c[0].substring(1), "m", "ends badly " + c[0]).getLast();
            assertEquals("error", last.get("status").asText(), c[0]);
            assertEquals(c[1], last.get("message").asText(), c[0]);
            assertTrue(last.get("error_details").asText().contains(c[2]), c[0] + ": " + last);
            assertTrue(rabbit.awaitDeadLetter().getProps().getHeaders().get("x-assistant-stream-reason").toString()
                    .startsWith("answer failed"), c[0]);
        }
    }

    @Test
    void the_threads_metadata_upstream_counts_its_messages() throws Exception {
        service = world.start();
        world.answer(service, "chan-m", "m1", "one");
        world.answer(service, "chan-m", "m2", "two");

        JsonNode metadata = openAi.threadMetadata(threadOf("chan-m"));
        assertEquals("chan-m", metadata.path("channel").asText());
        assertEquals("2", metadata.path("message_count").asText());
        assertEquals(world.redis().hget(world.prefix() + "metadata:chan-m", "last_message_at"),
                metadata.path("last_message_at").asText());
    }

    @Test
    void the_channel_lease_keeps_a_thread_to_one_active_run() throws Exception {
        service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("chan-busy");
            for (int i = 0; i < 6; i++) {
                rabbit.publish("chan-busy", "m" + i, "message " + i + " !delay=5");
            }
            for (int i = 0; i < 6; i++) {
                assertEquals("completed", client.answer("m" + i).getLast().get("status").asText());
            }
        }
        assertEquals(0, openAi.activeRunRejections());
        assertEquals(1, openAi.maxConcurrentRunsPerThread());
    }

    @Test
    void a_run_left_active_by_a_dead_worker_is_cancelled_and_the_message_retried() throws Exception {
        service = world.start();
        world.answer(service, "chan-o", "m1", "first");
        String thread = threadOf("chan-o");
        String orphan = openAi.orphanRun(thread);

        List<JsonNode> frames = world.answer(service, "chan-o", "m2", "second");
        assertEquals("Echo: second", frames.getLast().get("message").asText());
        assertEquals(1, openAi.activeRunRejections());
        assertEquals(1, all(openAi, "/v1/threads/" + thread + "/runs/" + orphan + "/cancel").size());
        assertEquals(3, all(openAi, "/v1/threads/" + thread + "/messages").size(),
                "the first message, then the second: refused once, added after the cancel");
        assertEquals("cancelled", openAi.runs(thread).get(orphan));
    }

    @Test
    void a_run_whose_stream_broke_before_any_text_is_cancelled_and_run_again() throws Exception {
        service = world.start();
        List<JsonNode> frames = world.answer(service, "chan-c", "m", "try again !cut=0");

        assertEquals("Echo: try again", frames.getLast().get("message").asText());
        String thread = threadOf("chan-c");
        assertTrue(all(openAi, "/v1/threads/" + thread + "/runs").size() >= 2, "the run was started again");
        assertEquals(1, openAi.requests().stream().filter(r -> r.path().endsWith("/cancel")).count(),
                "the broken run was cancelled");
    }

    @Test
    void upstream_errors_on_a_run_are_retried_like_any_call() throws Exception {
        service = world.start();
        assertEquals("Echo: flaky",
                world.answer(service, "chan-f", "m1", "flaky !fail=500x2").getLast().get("message").asText());
        JsonNode quota = world.answer(service, "chan-q", "m2", "broke !quota").getLast();
        assertEquals("The assistant's quota is used up", quota.get("message").asText());
        assertEquals(1, all(openAi, "/v1/threads/" + threadOf("chan-q") + "/runs").size(), "quota is not retried");
    }
}
