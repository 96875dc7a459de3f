package io.assistantstream.backend;

import java.net.URI;
import java.time.Duration;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.helidon.webclient.api.WebClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.config.ModelApi;
import io.assistantstream.config.Settings;
import io.assistantstream.fake.FakeOpenAi;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI client against servers that misbehave in ways the fake OpenAI does not. */
class OpenAiClientTest {
    private static final String KEY = "sk-test-0123456789abcdef";
    private final StreamWatchdog watchdog = new StreamWatchdog(Duration.ofMillis(50));

    @AfterEach
    void stopWatchdog() {
        watchdog.close();
    }

    /** A client of the server at {@code port} that retries twice, as the service does by default. */
    private OpenAiClient clientOf(int port) {
        Settings.OpenAi settings = Settings.OpenAi.of(KEY, URI.create("http://127.0.0.1:" + port + "/v1"),
                ModelApi.RESPONSES, 2, Duration.ofSeconds(2), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        return new OpenAiClient(WebClient.builder().connectTimeout(Duration.ofSeconds(2)).build(), settings, watchdog,
                TestMeters.fresh());
    }

    /** A client of {@code fake} with this key, sent in {@code header}, and {@code query} on every request. */
    private OpenAiClient clientOf(FakeOpenAi fake, String key, String header, String query) {
        Settings.OpenAi base = Settings.OpenAi.of(key, URI.create(fake.baseUrl()), ModelApi.CHAT, 0,
                Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(30));
        Settings.OpenAi settings = new Settings.OpenAi(base.apiKey(), base.model(), base.baseUrl(), base.api(),
                base.instructions(), base.assistantName(), base.maxRetries(), base.connectTimeout(),
                base.firstEventTimeout(), base.idleTimeout(), base.answerTimeout(), header, query,
                base.historyMaxMessages(), base.hostedTools(), base.echoWordPause());
        return new OpenAiClient(WebClient.builder().connectTimeout(Duration.ofSeconds(2)).build(), settings, watchdog,
                TestMeters.fresh());
    }

    @Test
    void azure_openai_gets_the_key_in_api_key_and_its_api_version_on_every_request() throws Exception {
        try (FakeOpenAi fake = FakeOpenAi.start()) {
            OpenAiClient azure = clientOf(fake, FakeOpenAi.API_KEY, "api-key", "api-version=2024-10-21");
            azure.create("/conversations", JsonNodeFactory.instance.objectNode(), Deadline.in(Duration.ofSeconds(10)));
            azure.create("/conversations", JsonNodeFactory.instance.objectNode(), Deadline.in(Duration.ofSeconds(10)));
            FakeOpenAi.RecordedRequest created = fake.requests().getFirst();
            assertEquals(FakeOpenAi.API_KEY, created.headers().get("api-key"));
            assertFalse(created.headers().containsKey("authorization"), created.headers().toString());
            assertEquals("api-version=2024-10-21", created.query());
            assertEquals("api-version=2024-10-21", fake.requests().getLast().query(), "on every request");
        }
    }

    @Test
    void a_server_that_needs_no_key_gets_no_authorization_header() throws Exception {
        try (FakeOpenAi fake = FakeOpenAi.start()) {
            assertThrows(AnswerFailedException.class, () -> clientOf(fake, "", Settings.OpenAi.BEARER, "")
                    .create("/conversations", JsonNodeFactory.instance.objectNode(), Deadline.in(Duration.ofSeconds(10))));
            FakeOpenAi.RecordedRequest request = fake.requests().getFirst();
            assertFalse(request.headers().containsKey("authorization"), request.headers().toString());
            assertEquals("", request.query());
        }
    }

    @Test
    void an_endless_line_from_openai_fails_the_stream_at_once_without_a_retry() throws Exception {
        try (CannedServer server = CannedServer.start((path, out) -> CannedServer.endlessLine(out))) {
            AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> clientOf(server.port())
                    .stream("/responses", JsonNodeFactory.instance.objectNode(), Deadline.in(Duration.ofSeconds(30)),
                            event -> true, () -> true));
            assertEquals("The assistant sent a malformed answer", e.summary());
            assertEquals("OpenAI sent a line longer than " + SseReader.MAX_LINE_BYTES + " bytes, the most one line may hold",
                    e.getMessage());
            assertEquals(1, server.paths().size(), "no retry: " + server.paths());
            // what the server got out before the client hung up: the cap, and what the sockets buffer
            assertTrue(server.bytesWritten() < 4L * SseReader.MAX_LINE_BYTES, server.bytesWritten() + " bytes");
        }
    }

    @Test
    void an_openai_error_that_quotes_the_api_key_is_passed_on_without_it() throws Exception {
        String refusal = "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + ".\",\"code\":\"invalid_api_key\"}}";
        try (CannedServer server = CannedServer.start((path, out) -> CannedServer.json(out, 401, refusal))) {
            AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> clientOf(server.port())
                    .post("/conversations", JsonNodeFactory.instance.objectNode(), Deadline.in(Duration.ofSeconds(30))));
            assertEquals("OpenAI answered 401: Incorrect API key provided: ***. (invalid_api_key)", e.getMessage());
        }
    }
}
