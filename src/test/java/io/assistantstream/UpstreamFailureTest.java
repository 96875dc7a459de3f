package io.assistantstream;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.assistantstream.backend.CannedServer;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.MisbehavingServer;
import io.assistantstream.testing.OpenAiDirect;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the service does when OpenAI fails: retries where that is safe, else one clear error frame. */
class UpstreamFailureTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest().set("openai.idle.timeout.ms", "700")
            .set("openai.first.event.timeout.ms", "700");
    private final FakeOpenAi openAi = world.openAi();
    private AssistantStream service;
    private WsClient client;

    @BeforeEach
    void start() throws Exception {
        service = world.start();
        client = WsClient.connect(service.port());
        client.subscribe("c");
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    /** Replaces the service with one that has these settings (key, value, key, value, …). */
    private void restartWith(String... settings) throws Exception {
        client.close();
        world.stop(service);
        for (int i = 0; i < settings.length; i += 2) {
            world.set(settings[i], settings[i + 1]);
        }
        service = world.start();
        client = WsClient.connect(service.port());
        client.subscribe("c");
    }

    private JsonNode answerTo(String message) throws Exception {
        String id = "m-" + System.nanoTime();
        world.rabbit().publish("c", id, message);
        return client.answer(id).getLast();
    }

    private void assertCompleted(JsonNode last, String text) {
        assertEquals("completed", last.get("status").asText(), last.toString());
        assertEquals(text, last.get("message").asText());
    }

    private void assertError(JsonNode last, String detailsPart) {
        assertEquals("error", last.get("status").asText(), last.toString());
        assertTrue(last.get("error_details").asText().contains(detailsPart), last.toString());
    }

    private int responseAttempts() {
        return PipelineTest.all(openAi, "/v1/responses").size();
    }

    @Test
    void rate_limit_with_retry_after_is_retried_after_the_given_wait() throws Exception {
        long start = System.nanoTime();
        assertCompleted(answerTo("hi !fail=429x1"), "Echo: hi");
        assertTrue(System.nanoTime() - start >= 900_000_000L, "waited for Retry-After: 1");
        assertEquals(2, responseAttempts());
    }

    @Test
    void rate_limit_with_retry_after_ms_is_retried() throws Exception {
        assertCompleted(answerTo("hi !fail=429msx2"), "Echo: hi");
        assertEquals(3, responseAttempts());
    }

    @Test
    void server_errors_are_retried_with_backoff_until_the_attempts_run_out() throws Exception {
        assertCompleted(answerTo("hi !fail=500x2"), "Echo: hi");
        assertError(answerTo("again !fail=503x3"), "OpenAI answered 503");
        assertEquals(3 + 3, responseAttempts());
    }

    @Test
    void insufficient_quota_is_not_retried() throws Exception {
        JsonNode last = answerTo("hi !quota");
        assertError(last, "insufficient_quota");
        assertEquals("The assistant's quota is used up", last.get("message").asText());
        assertEquals(1, responseAttempts());
    }

    @Test
    void a_stream_cut_before_any_text_is_retried() throws Exception {
        assertCompleted(answerTo("hi there !cut=0"), "Echo: hi there");
        assertEquals(2, responseAttempts());
    }

    @Test
    void a_stream_cut_after_text_reached_clients_ends_in_an_error_and_is_not_repeated() throws Exception {
        assertError(answerTo("one two three !cut=2"), "OpenAI stream broke");
        assertEquals(1, responseAttempts());
    }

    @Test
    void a_stalled_stream_times_out_within_the_idle_timeout() throws Exception {
        long start = System.nanoTime();
        JsonNode last = answerTo("hi !stall=3000");
        // the abandoned stream keeps the conversation busy upstream, so the retries meet conversation_locked;
        // the details still name the first cause
        assertError(last, "OpenAI stream timed out: no event for 700 ms");
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
    }

    @Test
    void response_failed_incomplete_and_error_events_end_in_error_frames() throws Exception {
        assertError(answerTo("!failed"), "The model failed to generate a response. (server_error)");
        assertError(answerTo("a b c d !incomplete"), "max_output_tokens");
        assertError(answerTo("a b c d !errorevent"), "Something went wrong");
        assertEquals(3, responseAttempts(), "terminal events are not retried");
    }

    @Test
    void a_malformed_event_ends_in_an_error_frame_naming_it_and_is_not_retried() throws Exception {
        assertError(answerTo("a b c d !malformed"), "OpenAI sent an event that is not JSON (response.output_text.delta)");
        assertEquals(1, responseAttempts(), "text had reached clients: no retry");
    }

    @Test
    void a_done_marker_and_unknown_events_are_handled() throws Exception {
        assertCompleted(answerTo("x y !done"), "Echo: x y");
    }

    @Test
    void a_conversation_busy_elsewhere_is_retried_until_it_is_free() throws Exception {
        assertCompleted(answerTo("first"), "Echo: first");
        String conversation = world.redis().get(world.prefix() + "thread:c");
        Thread other = Thread.ofVirtual().start(() -> OpenAiDirect.stream(openAi, conversation,
                "someone else !words=12 !delay=100"));
        Thread.sleep(300);
        assertCompleted(answerTo("mine"), "Echo: mine");
        other.join();
        assertTrue(openAi.conversationLockedCount() >= 1, "the fake refused at least once");
    }

    @Test
    void an_answer_that_outlasts_the_answer_timeout_ends_in_an_error_and_is_not_requeued() throws Exception {
        restartWith("openai.answer.timeout.ms", "1500", "openai.idle.timeout.ms", "5000");
        long start = System.nanoTime();
        JsonNode last = answerTo("!words=100 !delay=50");
        assertError(last, "the answer took longer than 1500 ms");
        assertEquals("The assistant took too long to answer", last.get("message").asText());
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        var dead = world.rabbit().awaitDeadLetter();
        assertTrue(dead.getProps().getHeaders().get("x-assistant-stream-reason").toString().contains("took longer"));
        assertEquals(1, responseAttempts(), "text had been sent: no retry, no redelivery");
    }

    @Test
    void unreachable_openai_ends_in_an_error_after_the_retries() throws Exception {
        restartWith("openai.base.url", "http://127.0.0.1:1/v1", "openai.max.retries", "1");
        JsonNode last = answerTo("hello");
        assertError(last, "could not be reached");
        assertEquals("The assistant could not be reached", last.get("message").asText());
    }

    /**
     * An error frame for an OpenAI that could not be reached, with exactly these details, in words
     * (no Java class name), and its message dead-lettered as a failed answer, not an internal error.
     */
    private void assertUnreachable(JsonNode last, String details) throws Exception {
        assertEquals("error", last.get("status").asText(), last.toString());
        assertEquals("The assistant could not be reached", last.get("message").asText(), last.toString());
        assertEquals(details, last.get("error_details").asText());
        assertNoClassName(last.toString());
        String reason = world.rabbit().awaitDeadLetter().getProps().getHeaders().get("x-assistant-stream-reason")
                .toString();
        assertTrue(reason.startsWith("answer failed: " + details), reason);
    }

    private static void assertNoClassName(String text) {
        assertFalse(text.matches("(?s).*(Exception|java\\.|javax\\.|helidon).*"), text);
    }

    @Test
    void an_openai_host_name_that_does_not_resolve_is_retried_and_ends_in_an_error_naming_the_host_and_the_cause()
            throws Exception {
        restartWith("openai.base.url", "http://api.openai.invalid/v1", "openai.max.retries", "1");
        try (LogWatch log = LogWatch.of(OpenAiClient.class.getName())) {
            assertUnreachable(answerTo("hello"),
                    "OpenAI could not be reached at api.openai.invalid: the name does not resolve (gave up after 2 attempts)");
            assertEquals(1, log.count("; retrying in "), () -> String.join("\n", log.lines()));
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource(delimiter = '|', value = {
            "RESET    | http  | the connection was reset",
            "NOT_TLS  | https | the TLS handshake failed: the server does not speak TLS",
            "SILENT   | http  | no answer came in time"})
    void openai_that_cannot_be_reached_is_retried_and_named_in_words(MisbehavingServer.Way way, String scheme,
            String cause) throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(way)) {
            restartWith("openai.base.url", server.url(scheme) + "v1", "openai.max.retries", "1");
            assertUnreachable(answerTo("hello"), "OpenAI could not be reached at 127.0.0.1:" + server.port()
                    + ": " + cause + " (gave up after 2 attempts)");
            assertEquals(2, server.connections());
        }
    }

    @Test
    void openai_hanging_up_on_a_stream_request_is_retried_and_named_in_words() throws Exception {
        assertCompleted(answerTo("first"), "Echo: first"); // the conversation exists: the next answer only streams
        try (MisbehavingServer server = MisbehavingServer.start(MisbehavingServer.Way.CLOSE)) {
            restartWith("openai.base.url", server.url("http") + "v1", "openai.max.retries", "1");
            world.rabbit().publish("c", "second", "second");
            assertUnreachable(client.answer("second").getLast(),
                    "OpenAI could not be reached at 127.0.0.1:" + server.port() + ": the connection was closed");
            assertEquals(2, server.connections());
        }
    }

    @Test
    void a_stream_cut_after_text_names_the_cause_in_words() throws Exception {
        JsonNode last = answerTo("one two three !cut=2");
        assertEquals("The connection to the assistant broke", last.get("message").asText(), last.toString());
        assertEquals("OpenAI stream broke: the connection was closed", last.get("error_details").asText());
    }

    @Test
    void an_openweather_host_name_that_does_not_resolve_gives_the_model_an_error_naming_the_host_and_the_cause()
            throws Exception {
        restartWith("openweather.base.url", "http://api.openweathermap.invalid");
        String error = "Error: OpenWeather could not be reached at api.openweathermap.invalid: the name does not resolve";
        assertCompleted(answerTo("!tool=Zocca"), "Tool said: " + error);
        JsonNode output = PipelineTest.all(openAi, "/v1/responses").get(1).json().path("input").path(0);
        assertEquals("function_call_output", output.path("type").asText(), output.toString());
        assertEquals(error, output.path("output").asText());
    }

    @Test
    void an_endless_line_from_openai_ends_the_answer_in_one_error_frame_naming_the_limit() throws Exception {
        try (CannedServer server = CannedServer.start((path, out) -> {
            if (path.endsWith("/conversations")) {
                CannedServer.json(out, 200, "{\"id\":\"conv_endless\",\"object\":\"conversation\"}");
            } else {
                CannedServer.endlessLine(out);
            }
        })) {
            restartWith("openai.base.url", "http://127.0.0.1:" + server.port() + "/v1");
            JsonNode last = answerTo("hello");
            assertEquals("The assistant sent a malformed answer", last.get("message").asText(), last.toString());
            assertEquals("OpenAI sent a line longer than 4194304 bytes, the most one line may hold",
                    last.get("error_details").asText());
            assertEquals(List.of("/v1/conversations", "/v1/responses"), server.paths(), "not retried");
        }
    }

    @Test
    void credentials_in_the_openai_url_and_the_http_clients_words_never_reach_a_client() throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(MisbehavingServer.Way.NOT_HTTP)) {
            restartWith("openai.base.url", "http://sk-user:s3cret@127.0.0.1:" + server.port() + "/v1",
                    "openai.max.retries", "1");
            JsonNode last = answerTo("hello");
            assertUnreachable(last, "OpenAI could not be reached at 127.0.0.1:" + server.port()
                    + ": its answer could not be read (gave up after 2 attempts)");
            assertFalse(last.toString().contains("s3cret"), last.toString());
        }
    }

    @Test
    void a_round_of_more_tool_calls_than_the_limit_ends_the_answer_naming_it_and_runs_none() throws Exception {
        String cities = IntStream.rangeClosed(1, ToolRounds.MAX_CALLS_PER_ROUND + 1).mapToObj(i -> "City" + i)
                .collect(Collectors.joining(","));
        JsonNode last = answerTo("!tools=" + cities);
        assertEquals("The assistant asked for too many tools at once", last.get("message").asText(), last.toString());
        assertEquals("the model asked for more than 64 tool calls in one round; at most 64 are run",
                last.get("error_details").asText());
        assertEquals(0, PipelineTest.all(openAi, "/geo/1.0/direct").size(), "no tool ran");
    }
}
