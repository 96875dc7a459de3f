package io.assistantstream.tools;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ToolRegistryTest {
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
                registry.run(List.of(new ToolCall("call-1", "crash", "{}")), new ToolCaller("c", "m", "t")).getFirst().output());
    }
}
