package io.assistantstream.backend.chat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.tools.ToolCall;

/**
 * The tool calls of one streamed completion, put together from the fragments in its chunks'
 * {@code delta.tool_calls}. OpenAI sends each call's id and name in its first fragment and its
 * arguments in pieces after it, all with the call's {@code index}; other servers send a call whole in
 * one fragment (Ollama, Groq), put the rest of the arguments in the finishing chunk (vLLM), or leave
 * {@code index} out. A fragment belongs to the call of its {@code index}; without one, to the call
 * of its {@code id}; with neither, to the call started last, unless it names a function and that call
 * already has a name: then it is a whole call of its own, as two sent in one chunk without index or id
 * are. Ids and names are taken from the first fragment that has one, arguments are concatenated, and
 * calls keep the order they started in. A call that never got an id is given one, as its result must
 * name it.
 */
final class ToolCallAssembly {
    private final List<Call> calls = new ArrayList<>();
    private final Map<Integer, Call> byIndex = new HashMap<>();
    private final Map<String, Call> byId = new HashMap<>();

    /** One call as far as its fragments went. */
    private static final class Call {
        private String id = "";
        private String name = "";
        private final StringBuilder arguments = new StringBuilder();
    }

    /** Adds the fragments of one chunk's {@code delta.tool_calls}. */
    void add(JsonNode fragments) throws AnswerFailedException {
        for (JsonNode fragment : fragments) {
            add(fragment, fragment.path("function"));
        }
    }

    private void add(JsonNode fragment, JsonNode function) throws AnswerFailedException {
        String id = fragment.path("id").asText("");
        String name = function.path("name").asText("");
        JsonNode index = fragment.path("index");
        Call call = index.canConvertToInt() ? byIndex.get(index.asInt())
                : !id.isEmpty() ? byId.get(id)
                : calls.isEmpty() || !name.isEmpty() && !calls.getLast().name.isEmpty() ? null : calls.getLast();
        if (call == null) {
            call = start();
            if (index.canConvertToInt()) {
                byIndex.put(index.asInt(), call);
            }
        }
        if (call.id.isEmpty() && !id.isEmpty()) {
            call.id = id;
            byId.putIfAbsent(id, call);
        }
        if (call.name.isEmpty()) {
            call.name = name;
        }
        JsonNode arguments = function.path("arguments");
        if (arguments.isTextual()) {
            call.arguments.append(arguments.asText());
        } else if (arguments.isObject()) { // a server that sends the arguments as JSON, not as its text
            call.arguments.append(arguments);
        }
    }

    private Call start() throws AnswerFailedException {
        if (calls.size() >= ToolRounds.MAX_CALLS_PER_ROUND) {
            ToolRounds.collect(calls(), new ToolCall("", "", "")); // one call too many: fails the answer
        }
        Call call = new Call();
        calls.add(call);
        return call;
    }

    /** Whether any fragment came. */
    boolean isEmpty() {
        return calls.isEmpty();
    }

    /** The calls, in the order they started; one without an id is named {@code call_<n>} by its place. */
    List<ToolCall> calls() throws AnswerFailedException {
        List<ToolCall> done = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            Call call = calls.get(i);
            ToolRounds.collect(done, new ToolCall(call.id.isEmpty() ? "call_" + i : call.id, call.name,
                    call.arguments.toString()));
        }
        return done;
    }
}
