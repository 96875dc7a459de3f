package io.assistantstream.backend;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolRegistry;
import io.assistantstream.tools.ToolResult;

/**
 * The conversation between the model and the tools, the same for every backend: stream a round;
 * if the model asked for tools, tell clients ({@code processing}), run all of that round's calls at
 * once, and stream the next round with their results; until a round ends without calls. Each
 * backend supplies only how a round is streamed in its wire protocol.
 */
public final class ToolRounds {
    /** More rounds than any sane tool use needs; past it the model is looping. */
    static final int MAX_TOOL_ROUNDS = 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolRegistry tools;

    public ToolRounds(ToolRegistry tools) {
        this.tools = tools;
    }

    /** One streamed round of the model's answer: its text goes to the sink, its tool calls are returned. */
    @FunctionalInterface
    public interface Round {
        List<ToolCall> stream() throws AnswerFailedException, ConversationNotFoundException, InterruptedException;
    }

    /** The round that hands the model the results of its calls. */
    @FunctionalInterface
    public interface Followup {
        Round with(List<ToolResult> results);
    }

    /** Streams {@code first}, then follow-ups while the model asks for tools. */
    public void converse(Round first, Followup followup, AnswerSink sink)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        Round round = first;
        for (int i = 0; i <= MAX_TOOL_ROUNDS; i++) {
            List<ToolCall> calls = round.stream();
            if (calls.isEmpty()) {
                return;
            }
            sink.toolsRunning();
            round = followup.with(tools.run(calls));
        }
        throw new AnswerFailedException("The assistant kept asking for tools",
                "the model asked for tools in more than " + MAX_TOOL_ROUNDS + " consecutive rounds");
    }

    /**
     * The tools as OpenAI function definitions, each {@code {"type":"function", …}} with the function
     * ({@code name}, {@code description}, {@code strict}, {@code parameters}) inline (Responses) or
     * {@code nested} under {@code "function"} (Assistants).
     */
    public ArrayNode definitions(boolean nested) {
        ArrayNode definitions = JSON.createArrayNode();
        tools.tools().forEach(tool -> {
            ObjectNode definition = definitions.addObject().put("type", "function");
            ObjectNode function = nested ? definition.putObject("function") : definition;
            function.put("name", tool.name()).put("description", tool.description()).put("strict", true)
                    .set("parameters", tool.parameters());
        });
        return definitions;
    }
}
