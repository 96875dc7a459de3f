package io.assistantstream.tools;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import io.assistantstream.backend.Deadline;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolRegistryTest {
    private static final ToolCaller CALLER = new ToolCaller("c", "m", "t");

    @Test
    void a_tool_that_crashes_is_told_to_the_model_in_words_without_its_exception_text() throws Exception {
        Tool crashing = new Tool() {
            @Override
            public String name() {
                return "crash";
            }

            @Override
            public String description() {
                return "fails as a bug would";
            }

            @Override
            public JsonNode parameters() {
                return JsonNodeFactory.instance.objectNode();
            }

            @Override
            public String call(JsonNode arguments, ToolCaller caller) {
                throw new IllegalStateException("GET https://api.example/data?appid=s3cret failed");
            }
        };
        ToolRegistry registry = new ToolRegistry(List.of(crashing), Duration.ofSeconds(5), 16_384, TestMeters.fresh());
        assertEquals("Error: crash failed unexpectedly",
                registry.run(List.of(new ToolCall("call-1", "crash", "{}")), CALLER, Deadline.in(Duration.ofSeconds(30)))
                        .getFirst().output());
    }

    /** A tool that sleeps {@code sleep}, then answers {@code output}, and may be given its own timeout. */
    private static Tool sleeping(String name, Duration sleep, Duration ownTimeout, String output) {
        return new Tool() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return "sleeps, then answers";
            }

            @Override
            public JsonNode parameters() {
                return JsonNodeFactory.instance.objectNode();
            }

            @Override
            public Optional<Duration> timeout() {
                return Optional.ofNullable(ownTimeout);
            }

            @Override
            public String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    throw new ToolFailedException("interrupted");
                }
                return output;
            }
        };
    }

    @Test
    void each_call_is_bounded_by_its_tools_own_timeout_and_every_output_is_capped() throws Exception {
        ToolRegistry registry = new ToolRegistry(List.of(
                sleeping("quick", Duration.ofSeconds(10), Duration.ofMillis(200), "late"),
                sleeping("wordy", Duration.ZERO, null, "w".repeat(5_000))), Duration.ofSeconds(30), 100,
                TestMeters.fresh());
        long start = System.nanoTime();
        List<ToolResult> results = registry.run(List.of(new ToolCall("c1", "quick", "{}"),
                new ToolCall("c2", "wordy", "{}")), CALLER, Deadline.in(Duration.ofSeconds(60)));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "not the registry's 30 s");
        assertEquals("Error: quick did not finish within 200 ms", results.get(0).output());
        assertEquals("w".repeat(55) + "\n[output cut to 100 bytes; it was 5000 bytes]", results.get(1).output());
    }

    @Test
    void no_call_outlasts_the_answers_deadline_whatever_its_tools_own_timeout() throws Exception {
        ToolRegistry registry = new ToolRegistry(List.of(
                sleeping("slow", Duration.ofSeconds(30), Duration.ofSeconds(10), "late"),
                sleeping("quick", Duration.ofSeconds(30), Duration.ofMillis(100), "late")), Duration.ofSeconds(30),
                16_384, TestMeters.fresh());
        long start = System.nanoTime();
        List<ToolResult> results = registry.run(List.of(new ToolCall("c1", "slow", "{}"),
                new ToolCall("c2", "quick", "{}")), CALLER, Deadline.in(Duration.ofMillis(500)));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= 400 && tookMs < 5_000, "cut at the answer's 500 ms, not the tool's 10 s: " + tookMs);
        assertEquals("Error: slow did not finish within the answer's 500 ms (OPENAI_ANSWER_TIMEOUT_MS)",
                results.get(0).output());
        assertEquals("Error: quick did not finish within 100 ms", results.get(1).output(),
                "a tool's own shorter timeout still names itself");
    }
}
