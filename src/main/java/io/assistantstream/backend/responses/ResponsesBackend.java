package io.assistantstream.backend.responses;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.ConversationNotFoundException;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.SseEvent;
import io.assistantstream.tools.Tool;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolRegistry;
import io.assistantstream.tools.ToolResult;

/**
 * The default backend: OpenAI Responses + Conversations. One conversation per channel
 * ({@code POST /conversations}); each answer is a streaming {@code POST /responses} on it, and each
 * round of function calls is followed by another one carrying the {@code function_call_output}
 * items, until a response completes without calls.
 */
public final class ResponsesBackend implements AssistantBackend {
    /** More rounds than any sane tool use needs; past it the model is looping. */
    static final int MAX_TOOL_ROUNDS = 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpenAiClient openAi;
    private final ToolRegistry tools;
    private final String model;
    private final String instructions;
    private final ArrayNode toolDefinitions;

    public ResponsesBackend(OpenAiClient openAi, ToolRegistry tools, String model, String instructions) {
        this.openAi = openAi;
        this.tools = tools;
        this.model = model;
        this.instructions = instructions;
        this.toolDefinitions = definitions(tools.tools());
    }

    @Override
    public String name() {
        return "responses";
    }

    @Override
    public String createConversation(String channel, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("metadata").put("channel", channel);
        try {
            JsonNode created = openAi.post("/conversations", body, deadline);
            String id = created.path("id").asText("");
            if (id.isEmpty()) {
                throw new AnswerFailedException("The assistant could not start a conversation",
                        "OpenAI answered POST /conversations without an id: " + created);
            }
            return id;
        } catch (ConversationNotFoundException e) {
            throw new AnswerFailedException("The assistant could not start a conversation", e.getMessage());
        }
    }

    @Override
    public void respond(String conversationId, String message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        JsonNode input = JSON.getNodeFactory().textNode(message);
        for (int round = 0; round <= MAX_TOOL_ROUNDS; round++) {
            ResponseStream stream = new ResponseStream(sink);
            openAi.stream("/responses", request(conversationId, input), deadline, stream::onEvent,
                    () -> !sink.textSent());
            if (stream.calls.isEmpty()) {
                return;
            }
            sink.toolsRunning();
            input = outputs(tools.run(stream.calls));
        }
        throw new AnswerFailedException("The assistant kept asking for tools",
                "the model asked for tools in more than " + MAX_TOOL_ROUNDS + " consecutive rounds");
    }

    private ObjectNode request(String conversationId, JsonNode input) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("conversation", conversationId);
        body.put("stream", true);
        if (!instructions.isBlank()) {
            body.put("instructions", instructions);
        }
        if (!toolDefinitions.isEmpty()) {
            body.set("tools", toolDefinitions);
        }
        body.set("input", input);
        return body;
    }

    private static ArrayNode outputs(List<ToolResult> results) {
        ArrayNode items = JSON.createArrayNode();
        for (ToolResult result : results) {
            items.addObject().put("type", "function_call_output").put("call_id", result.callId())
                    .put("output", result.output());
        }
        return items;
    }

    private static ArrayNode definitions(List<Tool> tools) {
        ArrayNode definitions = JSON.createArrayNode();
        for (Tool tool : tools) {
            definitions.addObject().put("type", "function").put("name", tool.name())
                    .put("description", tool.description()).put("strict", true)
                    .set("parameters", tool.parameters());
        }
        return definitions;
    }

    /** The reading of one {@code /responses} stream: text to the sink, function calls collected. */
    private static final class ResponseStream {
        private final AnswerSink sink;
        private final List<ToolCall> calls = new ArrayList<>();

        private ResponseStream(AnswerSink sink) {
            this.sink = sink;
        }

        /**
         * Handles one event. The {@code event:} line names it, so only the events whose content
         * matters are parsed; the large response snapshots of {@code response.created},
         * {@code response.in_progress} and {@code response.completed} never are. A stream without
         * {@code event:} lines (data only) is parsed to find each event's type.
         */
        boolean onEvent(SseEvent event) throws AnswerFailedException {
            JsonNode data = event.event() == null ? OpenAiClient.json(event) : null;
            String type = data == null ? event.event() : data.path("type").asText("");
            switch (type) {
                case "response.created" -> calls.clear(); // a retried attempt starts afresh
                case "response.output_text.delta" -> sink.text(data == null ? OpenAiClient.stringField(event, "delta")
                        : data.path("delta").asText(""));
                case "response.output_item.done" -> collectCall(parsed(event, data).path("item"));
                case "response.completed" -> {
                    return false;
                }
                case "response.failed" -> throw failed(parsed(event, data).path("response"));
                case "response.incomplete" -> throw new AnswerFailedException("The answer was cut short",
                        "OpenAI response incomplete: " + parsed(event, data).path("response")
                                .path("incomplete_details").path("reason").asText("unknown reason"));
                case "error" -> {
                    JsonNode error = parsed(event, data);
                    throw new AnswerFailedException("The assistant failed to answer",
                            "OpenAI stream error: " + error.path("message").asText("unknown") + codeOf(error));
                }
                default -> {
                    // the protocol adds event kinds over time; the ones not needed here are ignored
                }
            }
            return true;
        }

        private static JsonNode parsed(SseEvent event, JsonNode data) throws AnswerFailedException {
            return data != null ? data : OpenAiClient.json(event);
        }

        private void collectCall(JsonNode item) {
            if ("function_call".equals(item.path("type").asText())) {
                calls.add(new ToolCall(item.path("call_id").asText(), item.path("name").asText(),
                        item.path("arguments").asText("")));
            }
        }

        private static AnswerFailedException failed(JsonNode response) {
            JsonNode error = response.path("error");
            return new AnswerFailedException("The assistant failed to answer",
                    "OpenAI response failed: " + error.path("message").asText("no reason given") + codeOf(error));
        }

        private static String codeOf(JsonNode error) {
            return error.hasNonNull("code") ? " (" + error.get("code").asText() + ")" : "";
        }
    }
}
