package io.assistantstream.tools;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.helidon.webclient.api.WebClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.backend.Deadline;
import io.assistantstream.testing.TestMeters;
import io.assistantstream.testing.ToolEndpoint;
import io.assistantstream.testing.ToolEndpoint.Reply;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tool of TOOLS_FILE, called through the registry as an answer calls it, against a loopback endpoint. */
class HttpToolTest {
    private static final String SECRET = "tok-3f9a1c77e2d4";
    private static final ToolCaller CALLER = new ToolCaller("chan-1", "msg-1", "conv_1");
    private final ToolEndpoint endpoint = ToolEndpoint.start();

    @AfterEach
    void close() {
        endpoint.close();
    }

    /** lookup_order, posting to {@code url} with a secret header, within these limits. */
    private static HttpTool tool(String url, Duration timeout, int outputMaxBytes) {
        JsonNode parameters = JsonNodeFactory.instance.objectNode().put("type", "object");
        DeclaredTool declared = new DeclaredTool("lookup_order", "Find an order.", parameters, URI.create(url),
                Map.of("Authorization", "Bearer " + SECRET, "X-Team", "support"), timeout, false);
        return new HttpTool(declared, WebClient.builder().connectTimeout(Duration.ofSeconds(1)).build(),
                outputMaxBytes);
    }

    /** What the model gets from one call of {@link #tool}, run by the registry as an answer runs it. */
    private static String output(String url, Duration timeout, int outputMaxBytes) throws InterruptedException {
        ToolRegistry registry = new ToolRegistry(List.of(tool(url, timeout, outputMaxBytes)), Duration.ofSeconds(30),
                outputMaxBytes, TestMeters.fresh());
        return registry.run(List.of(new ToolCall("call-1", "lookup_order", "{\"number\":\"42\",\"rush\":true}")), CALLER,
                        Deadline.in(Duration.ofSeconds(60)))
                .getFirst().output();
    }

    private String output(Reply reply) throws InterruptedException {
        endpoint.answer("/tool", reply);
        return output(endpoint.url("/tool"), Duration.ofSeconds(5), 16_384);
    }

    @Test
    void a_call_posts_the_exact_body_with_the_declared_headers_and_the_model_gets_the_answer() throws Exception {
        assertEquals("{\"status\":\"shipped\"}", output(Reply.of(200, "{\"status\":\"shipped\"}")));
        ToolEndpoint.Received request = endpoint.received().getFirst();
        assertEquals("{\"name\":\"lookup_order\",\"arguments\":{\"number\":\"42\",\"rush\":true},\"channel\":\"chan-1\","
                + "\"message_id\":\"msg-1\",\"thread_id\":\"conv_1\"}", request.body());
        assertEquals("application/json", request.headers().get("content-type"));
        assertEquals("Bearer " + SECRET, request.headers().get("authorization"));
        assertEquals("support", request.headers().get("x-team"));
    }

    @Test
    void an_answer_other_than_2xx_is_an_error_text_with_the_status_and_the_body_without_secrets() throws Exception {
        assertEquals("Error: lookup_order answered 503: {\"error\":\"token *** rejected, try later\"}",
                output(Reply.of(503, "{\"error\":\"token " + SECRET + " rejected,\n try later\"}")));
    }

    @Test
    void an_endpoint_that_does_not_answer_in_time_ends_the_call_itself_naming_the_timeout() {
        endpoint.answer("/tool", new Reply(200, "{}", Duration.ofSeconds(10)));
        HttpTool tool = tool(endpoint.url("/tool"), Duration.ofMillis(300), 16_384);
        long start = System.nanoTime();
        ToolFailedException e = assertThrows(ToolFailedException.class, // called alone: no registry stops it
                () -> tool.call(JsonNodeFactory.instance.objectNode(), CALLER));
        assertEquals("lookup_order did not finish within 300 ms", e.getMessage(), "worded as the registry words it");
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "bounded by the tool's own timeout");
    }

    @Test
    void a_silent_endpoint_is_left_at_the_answers_deadline_before_the_tools_own_timeout() {
        endpoint.answer("/tool", new Reply(200, "{}", Duration.ofSeconds(20)));
        ToolRegistry registry = new ToolRegistry(List.of(tool(endpoint.url("/tool"), Duration.ofSeconds(10), 16_384)),
                Duration.ofSeconds(30), 16_384, TestMeters.fresh());
        long start = System.nanoTime();
        String output = assertDoesNotThrow(() -> registry.run(List.of(new ToolCall("call-1", "lookup_order", "{}")),
                CALLER, Deadline.in(Duration.ofMillis(300)))).getFirst().output();
        assertEquals("Error: lookup_order did not finish within the answer's 300 ms (OPENAI_ANSWER_TIMEOUT_MS)", output);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(),
                "the interrupted request let the round end: not the tool's 10 s");
    }

    @Test
    void an_endpoint_that_refuses_the_connection_is_named_by_its_address() throws Exception {
        int port;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = gone.getLocalPort();
        }
        assertEquals("Error: lookup_order could not be reached at 127.0.0.1:" + port + ": the connection was refused",
                output("http://127.0.0.1:" + port + "/tool?key=" + SECRET, Duration.ofSeconds(5), 16_384));
    }

    @Test
    void an_oversized_answer_reaches_the_model_capped() throws Exception {
        endpoint.answer("/tool", Reply.of(200, "y".repeat(50_000)));
        String output = output(endpoint.url("/tool"), Duration.ofSeconds(5), 1_000);
        assertTrue(output.startsWith("yyyy") && output.endsWith("\n[output cut to 1000 bytes; it was 50000 bytes]"),
                output);
        assertEquals(1_000, output.length());
    }
}
