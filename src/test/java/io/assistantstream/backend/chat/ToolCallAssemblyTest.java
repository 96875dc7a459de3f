package io.assistantstream.backend.chat;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.tools.ToolCall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@link ToolCallAssembly} puts calls together from the {@code delta.tool_calls} of each server's chunks. */
class ToolCallAssemblyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The calls assembled from the {@code tool_calls} arrays of successive chunks, given as JSON texts. */
    private static List<ToolCall> assembled(String... chunks) throws Exception {
        ToolCallAssembly assembly = new ToolCallAssembly();
        for (String chunk : chunks) {
            assembly.add(JSON.readTree(chunk));
        }
        return assembly.calls();
    }

    @Test
    void openai_fragments_are_joined_by_index_with_id_and_name_from_the_first() throws Exception {
        List<ToolCall> calls = assembled( // as OpenAI streams two parallel calls, shortened
                "[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]",
                "[{\"index\":0,\"function\":{\"arguments\":\"{\\\"ci\"}}]",
                "[{\"index\":0,\"function\":{\"arguments\":\"ty\\\": \\\"Edinburgh\\\"}\"}}]",
                "[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"get_stock_price\",\"arguments\":\"\"}}]",
                "[{\"index\":1,\"function\":{\"arguments\":\"{\\\"ticker\\\": \\\"AAPL\\\"}\"}}]");
        assertEquals(List.of(new ToolCall("call_a", "get_weather", "{\"city\": \"Edinburgh\"}"),
                new ToolCall("call_b", "get_stock_price", "{\"ticker\": \"AAPL\"}")), calls);
    }

    @Test
    void fragments_of_calls_that_interleave_go_to_the_call_of_their_index() throws Exception {
        List<ToolCall> calls = assembled(
                "[{\"index\":0,\"id\":\"call_a\",\"function\":{\"name\":\"f\",\"arguments\":\"[1\"}},"
                        + "{\"index\":1,\"id\":\"call_b\",\"function\":{\"name\":\"g\",\"arguments\":\"[2\"}}]",
                "[{\"index\":1,\"function\":{\"name\":\"g\",\"arguments\":\"]\"}}]",
                "[{\"index\":0,\"function\":{\"arguments\":\"]\"}}]");
        assertEquals(List.of(new ToolCall("call_a", "f", "[1]"), new ToolCall("call_b", "g", "[2]")), calls,
                "a name repeated in a later fragment is not appended");
    }

    @Test
    void calls_sent_whole_in_one_chunk_are_taken_as_they_are() throws Exception {
        List<ToolCall> calls = assembled( // Ollama: every call of the message in one chunk, arguments complete
                "[{\"id\":\"call_x\",\"index\":0,\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        + "\"arguments\":\"{\\\"city\\\":\\\"Zocca\\\"}\"}},"
                        + "{\"id\":\"call_y\",\"index\":1,\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        + "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]");
        assertEquals(List.of(new ToolCall("call_x", "get_weather", "{\"city\":\"Zocca\"}"),
                new ToolCall("call_y", "get_weather", "{\"city\":\"Oslo\"}")), calls);
    }

    @Test
    void without_index_a_fragment_goes_to_the_call_of_its_id_or_else_to_the_call_started_last() throws Exception {
        List<ToolCall> calls = assembled(
                "[{\"id\":\"call_a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]",
                "[{\"function\":{\"arguments\":\"}\"}}]",
                "[{\"id\":\"call_b\",\"function\":{\"name\":\"g\",\"arguments\":\"[\"}}]",
                "[{\"id\":\"call_a\",\"function\":{\"arguments\":\" \"}}]",
                "[{\"function\":{\"arguments\":\"]\"}}]");
        assertEquals(List.of(new ToolCall("call_a", "f", "{} "), new ToolCall("call_b", "g", "[]")), calls);
    }

    @Test
    void whole_calls_without_index_or_id_are_told_apart_by_their_names() throws Exception {
        List<ToolCall> calls = assembled(
                "[{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":1}\"}},"
                        + "{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":2}\"}}]",
                "[{\"function\":{\"arguments\":\" \"}}]");
        assertEquals(List.of(new ToolCall("call_0", "a", "{\"x\":1}"), new ToolCall("call_1", "a", "{\"x\":2} ")),
                calls, "a fragment without a name still goes to the call started last");
    }

    @Test
    void a_call_without_an_id_is_named_by_its_place_and_arguments_sent_as_an_object_are_kept_as_json()
            throws Exception {
        List<ToolCall> calls = assembled("[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]");
        assertEquals(List.of(new ToolCall("call_0", "f", "{\"a\":1}")), calls);
    }

    @Test
    void more_calls_than_a_round_runs_fail_the_answer_as_they_come() throws Exception {
        ToolCallAssembly assembly = new ToolCallAssembly();
        for (int i = 0; i < ToolRounds.MAX_CALLS_PER_ROUND; i++) {
            assembly.add(JSON.readTree("[{\"index\":" + i + ",\"id\":\"c" + i + "\",\"function\":{\"name\":\"f\"}}]"));
        }
        JsonNode oneMore = JSON.readTree("[{\"index\":" + ToolRounds.MAX_CALLS_PER_ROUND + ",\"id\":\"c\"}]");
        AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> assembly.add(oneMore));
        assertTrue(e.getMessage().contains("at most " + ToolRounds.MAX_CALLS_PER_ROUND), e.getMessage());
    }
}
