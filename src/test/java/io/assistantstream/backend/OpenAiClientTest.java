package io.assistantstream.backend;

import java.net.URI;
import java.time.Duration;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.helidon.webclient.api.WebClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.config.ModelApi;
import io.assistantstream.config.Settings;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
