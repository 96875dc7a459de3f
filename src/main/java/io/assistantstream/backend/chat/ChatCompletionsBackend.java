package io.assistantstream.backend.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.store.ChatHistory;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.tools.ToolResult;

/**
 * The Chat Completions backend, for model servers without the Conversations API (Ollama, vLLM,
 * LiteLLM, Groq, OpenRouter, Azure OpenAI): the conversation is kept in Redis ({@link ChatHistory})
 * and each round is a streaming {@code POST /chat/completions} carrying it whole: the instructions as
 * a {@code system} message, the channel's past messages, the new user message, and the tool calls
 * and results of this answer so far. A conversation is only an id made here ({@code chat_…}).
 *
 * <p>The exchange is stored once the answer completed, in one write; an answer that failed or was
 * cancelled leaves the history as it was, so the next message is asked as if it had never been.
 * The request does not ask for {@code stream_options.include_usage}: nothing here reads the usage,
 * and an option a server does not know is one more way for it to refuse the request.
 */
public final class ChatCompletionsBackend implements AssistantBackend {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpenAiClient openAi;
    private final ToolRounds rounds;
    private final ChatHistory history;
    private final String model;
    private final String instructions;
    private final ArrayNode toolDefinitions;

    public ChatCompletionsBackend(OpenAiClient openAi, ToolRounds rounds, ChatHistory history, String model,
                                  String instructions) {
        this.openAi = openAi;
        this.rounds = rounds;
        this.history = history;
        this.model = model;
        this.instructions = instructions;
        this.toolDefinitions = rounds.definitions(true);
    }

    @Override
    public String name() {
        return "chat";
    }

    /** A new id; the channel's history, if one outlived its mapping, is forgotten: the conversation starts afresh. */
    @Override
    public String createConversation(String channel, Deadline deadline) throws InterruptedException {
        history.clear(channel);
        return "chat_" + UUID.randomUUID().toString().replace("-", "");
    }

    @Override
    public void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        Exchange exchange = new Exchange(history.before(conversation.channel(), message.id()), message, sink,
                deadline);
        rounds.converse(exchange, sink, new ToolCaller(conversation.channel(), message.id(), conversation.id()),
                deadline);
        if (!exchange.answered) {
            return; // the sink stopped it: the answer is over, and not part of the conversation
        }
        if (!sink.complete()) { // a cancel that came after the last chunk: the answer ends cancelled, unkept
            return;
        }
        history.record(conversation.channel(), message.id(), exchange.messages);
    }

    /** One answer's rounds: the request grows by each round's tool calls and results. */
    private final class Exchange implements ToolRounds.Rounds {
        private final List<JsonNode> past;
        /** This answer's messages: the user's, then each round's assistant message and tool results. */
        private final List<ObjectNode> messages = new ArrayList<>();
        private final AnswerSink sink;
        private final Deadline deadline;
        /** The assistant message of the round whose calls are running. */
        private ObjectNode asked;
        private boolean answered;

        Exchange(List<JsonNode> past, UserMessage message, AnswerSink sink, Deadline deadline) {
            this.past = past;
            this.sink = sink;
            this.deadline = deadline;
            messages.add(JSON.createObjectNode().put("role", "user").put("content", message.text()));
        }

        @Override
        public List<ToolCall> first() throws AnswerFailedException, InterruptedException {
            return round();
        }

        @Override
        public List<ToolCall> next(List<ToolResult> results) throws AnswerFailedException, InterruptedException {
            messages.add(asked);
            for (ToolResult result : results) {
                messages.add(JSON.createObjectNode().put("role", "tool").put("tool_call_id", result.callId())
                        .put("content", result.output()));
            }
            return round();
        }

        /** Streams one completion; returns its tool calls, none when the answer is over. */
        private List<ToolCall> round() throws AnswerFailedException, InterruptedException {
            CompletionStream stream = new CompletionStream(sink);
            openAi.stream("/chat/completions", request(), deadline, stream::onEvent, () -> {
                if (sink.textSent()) {
                    return false;
                }
                stream.restart();
                return true;
            });
            if (!stream.complete()) {
                return List.of();
            }
            List<ToolCall> calls = stream.calls().calls();
            if (calls.isEmpty()) {
                messages.add(JSON.createObjectNode().put("role", "assistant").put("content", stream.text()));
                answered = true;
            } else {
                asked = assistantAsking(stream.text(), calls);
            }
            return calls;
        }

        private ObjectNode request() {
            ObjectNode body = JSON.createObjectNode().put("model", model).put("stream", true);
            ArrayNode sent = body.putArray("messages");
            if (!instructions.isBlank()) {
                sent.addObject().put("role", "system").put("content", instructions);
            }
            sent.addAll(past);
            sent.addAll(messages);
            if (!toolDefinitions.isEmpty()) {
                body.set("tools", toolDefinitions);
            }
            return body;
        }
    }

    /** The assistant message that asked for {@code calls}, as the follow-up request and the history repeat it. */
    private static ObjectNode assistantAsking(String text, List<ToolCall> calls) {
        ObjectNode message = JSON.createObjectNode().put("role", "assistant");
        if (text.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text);
        }
        ArrayNode asked = message.putArray("tool_calls");
        for (ToolCall call : calls) {
            ObjectNode function = asked.addObject().put("id", call.callId()).put("type", "function")
                    .putObject("function");
            function.put("name", call.name()).put("arguments", call.arguments());
        }
        return message;
    }
}
