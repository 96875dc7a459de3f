package io.assistantstream.backend;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.tools.ToolRegistry;
import io.assistantstream.tools.ToolResult;

/**
 * The conversation between the model and the tools, the same for every backend: stream a round;
 * if the model asked for tools, tell clients ({@code processing}), run all of that round's calls at
 * once, and stream the next round with their results; until a round ends without calls. Each
 * backend supplies only how a round is streamed in its wire protocol.
 *
 * <p>Both the rounds of one answer and the calls of one round are capped: past a cap the answer
 * fails with details naming the cap, and no tool of that round runs.
 */
public final class ToolRounds {
    /** Rounds of tool calls one answer runs, at most: more than any sane tool use needs; past it the model loops. */
    public static final int MAX_TOOL_ROUNDS = 8;
    /**
     * Calls one round runs, at most. Models ask for a handful at once (one per city, say); each call
     * is a virtual thread and a request to the tool's API, so a round cannot start more than this.
     */
    public static final int MAX_CALLS_PER_ROUND = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolRegistry tools;

    public ToolRounds(ToolRegistry tools) {
        this.tools = tools;
    }

    /**
     * The rounds of one answer in a backend's wire protocol. Each streams its text to the answer's
     * sink and returns the tool calls the model made in it (none: the answer is complete).
     */
    public interface Rounds {
        /** The round that answers the user's message. */
        List<ToolCall> first() throws AnswerFailedException, ConversationNotFoundException, InterruptedException;

        /** The round that hands the model the results of the previous round's calls. */
        List<ToolCall> next(List<ToolResult> results)
                throws AnswerFailedException, ConversationNotFoundException, InterruptedException;
    }

    /**
     * Streams the first round, then the next ones while the model asks for tools. Stops, without
     * running tools, once the sink says its frames no longer reach clients: the answer is over. No
     * call runs past the answer's {@code deadline}; the round after one it cut fails on the deadline.
     */
    public void converse(Rounds rounds, AnswerSink sink, ToolCaller caller, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        List<ToolCall> calls = rounds.first();
        for (int round = 1; !calls.isEmpty(); round++) {
            if (round > MAX_TOOL_ROUNDS) {
                throw new AnswerFailedException("The assistant kept asking for tools", "the model asked for tools "
                        + round + " times in one answer; at most " + MAX_TOOL_ROUNDS + " rounds of tool calls are run");
            }
            if (calls.size() > MAX_CALLS_PER_ROUND) {
                throw tooManyCalls(Integer.toString(calls.size()));
            }
            if (!sink.toolsRunning()) {
                return;
            }
            calls = rounds.next(tools.run(calls, caller, deadline));
        }
    }

    /**
     * Adds a call the model asked for to its round's calls, as a stream is read: a stream that goes
     * on asking fails the answer once it passes {@link #MAX_CALLS_PER_ROUND}, instead of piling up
     * calls until it ends.
     */
    public static void collect(List<ToolCall> round, ToolCall call) throws AnswerFailedException {
        if (round.size() >= MAX_CALLS_PER_ROUND) {
            throw tooManyCalls("more than " + MAX_CALLS_PER_ROUND);
        }
        round.add(call);
    }

    private static AnswerFailedException tooManyCalls(String count) {
        return new AnswerFailedException("The assistant asked for too many tools at once", "the model asked for "
                + count + " tool calls in one round; at most " + MAX_CALLS_PER_ROUND + " are run");
    }

    /**
     * The tools as OpenAI function definitions, each {@code {"type":"function", …}} with the function
     * ({@code name}, {@code description}, {@code strict}, {@code parameters}) inline (Responses) or
     * {@code nested} under {@code "function"} (Assistants and Chat Completions); {@code strict} is each
     * tool's own.
     */
    public ArrayNode definitions(boolean nested) {
        ArrayNode definitions = JSON.createArrayNode();
        tools.tools().forEach(tool -> {
            ObjectNode definition = definitions.addObject().put("type", "function");
            ObjectNode function = nested ? definition.putObject("function") : definition;
            function.put("name", tool.name()).put("description", tool.description()).put("strict", tool.strict())
                    .set("parameters", tool.parameters());
        });
        return definitions;
    }
}
