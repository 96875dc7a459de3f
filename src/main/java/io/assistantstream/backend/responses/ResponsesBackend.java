package io.assistantstream.backend.responses;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolResult;

/**
 * The default backend: OpenAI Responses + Conversations. One conversation per channel
 * ({@code POST /conversations}); each answer is a streaming {@code POST /responses} on it, and each
 * round of function calls is followed by another one carrying the {@code function_call_output}
 * items, until a response completes without calls.
 */
public final class ResponsesBackend implements AssistantBackend {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpenAiClient openAi;
    private final ToolRounds rounds;
    private final String model;
    private final String instructions;
    private final ArrayNode toolDefinitions;

    /**
     * @param hostedTools a JSON array of tools the model server runs itself ({@code OPENAI_HOSTED_TOOLS},
     *                    validated), added to every request's {@code tools} after the function tools
     */
    public ResponsesBackend(OpenAiClient openAi, ToolRounds rounds, String model, String instructions,
                            String hostedTools) {
        this.openAi = openAi;
        this.rounds = rounds;
        this.model = model;
        this.instructions = instructions;
        this.toolDefinitions = rounds.definitions(false);
        try {
            JSON.readTree(hostedTools).forEach(toolDefinitions::add);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the hosted tools are not a JSON array: " + e.getOriginalMessage(), e);
        }
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
        return openAi.create("/conversations", body, deadline);
    }

    @Override
    public void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        HostedToolActivity hosted = new HostedToolActivity();
        rounds.converse(new ToolRounds.Rounds() {
            @Override
            public List<ToolCall> first() throws AnswerFailedException, ConversationNotFoundException,
                    InterruptedException {
                return round(conversation.id(), JSON.getNodeFactory().textNode(message.text()), sink, hosted,
                        deadline);
            }

            @Override
            public List<ToolCall> next(List<ToolResult> results) throws AnswerFailedException,
                    ConversationNotFoundException, InterruptedException {
                return round(conversation.id(), outputs(results), sink, hosted, deadline);
            }
        }, sink, new ToolCaller(conversation.channel(), message.id(), conversation.id()), deadline);
    }

    /** Streams one response; returns the function calls it made. */
    private List<ToolCall> round(String conversationId, JsonNode input, AnswerSink sink, HostedToolActivity hosted,
                                 Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        ResponseStream stream = new ResponseStream(sink, hosted);
        try {
            openAi.stream("/responses", request(conversationId, input), deadline, stream::onEvent,
                    () -> !sink.textSent());
        } catch (AnswerFailedException e) {
            if (e.notFound()) {
                throw new ConversationNotFoundException(conversationId);
            }
            throw e;
        }
        return stream.calls;
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

    /**
     * The reading of one {@code /responses} stream: text to the sink, function calls collected, hosted
     * tools' work told to the sink. Only {@code function_call} items are calls: a hosted tool's item
     * (an {@code mcp_call} has a name and arguments too) is the model server's own business.
     */
    private static final class ResponseStream {
        private final AnswerSink sink;
        private final HostedToolActivity hosted;
        private final List<ToolCall> calls = new ArrayList<>();

        private ResponseStream(AnswerSink sink, HostedToolActivity hosted) {
            this.sink = sink;
            this.hosted = hosted;
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
                case "response.output_text.delta" -> {
                    if (!sink.text(data == null ? OpenAiClient.stringField(event, "delta")
                            : data.path("delta").asText(""))) {
                        return false; // the frames reach no one: the answer is over
                    }
                }
                case "response.output_item.added" -> {
                    if (!told(hosted.itemAdded(parsed(event, data).path("item")))) {
                        return false;
                    }
                }
                case "response.output_item.done" -> collectCall(parsed(event, data).path("item"));
                case "response.completed" -> {
                    return false;
                }
                case "response.failed" -> throw AnswerFailedException.failed("response",
                        parsed(event, data).path("response").path("error"));
                case "response.incomplete" -> throw AnswerFailedException.cutShort("response", parsed(event, data)
                        .path("response").path("incomplete_details").path("reason").asText("unknown reason"));
                case "error" -> throw AnswerFailedException.streamError(parsed(event, data));
                default -> {
                    // a hosted tool's progress is told; the protocol adds event kinds over time, and the ones
                    // not needed here (text annotations, reasoning, …) are ignored
                    if (!told(hosted.progress(type))) {
                        return false;
                    }
                }
            }
            return true;
        }

        /** Tells the sink of a hosted tool's activity, if any; false: stop reading, the answer is over. */
        private boolean told(Optional<String> activity) {
            return activity.isEmpty() || sink.hostedToolRunning(activity.get());
        }

        private static JsonNode parsed(SseEvent event, JsonNode data) throws AnswerFailedException {
            return data != null ? data : OpenAiClient.json(event);
        }

        private void collectCall(JsonNode item) throws AnswerFailedException {
            if ("function_call".equals(item.path("type").asText())) {
                ToolRounds.collect(calls, new ToolCall(item.path("call_id").asText(), item.path("name").asText(),
                        item.path("arguments").asText("")));
            }
        }
    }
}
