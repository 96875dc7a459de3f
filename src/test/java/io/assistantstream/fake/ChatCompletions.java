package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /v1/chat/completions} of the fake, streamed only ({@link ChatStream} writes the chunks). Stateless
 * like the real API: the request's last user message is the script (its {@code !directives}, see {@link FakeOpenAi}
 * and {@link ChatStream}); earlier messages are history and only checked the way OpenAI checks them: every
 * {@code tool} message answers a call of the assistant message with {@code tool_calls} right before it, and every
 * such call is answered (else 400, with OpenAI's words). A request that ends with {@code tool} messages answers
 * {@code "Tool said: "} + their contents joined by {@code " | "} in call order, unless the script's
 * {@code !rounds=N} wants more rounds of calls than the assistant messages since the user's made. {@code !quirk=
 * string-error} answers 404 with Ollama's {@code {"error": "…"}}. Attempts (for {@code !fail} and {@code !cut}) are
 * counted per exact {@code messages}.
 */
final class ChatCompletions {
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();

    /** Streams the answer (returning null), or returns the error reply to send instead. */
    FakeOpenAi.Reply answer(HttpConnection http, JsonNode body) throws IOException, InterruptedException {
        JsonNode messages = body.path("messages");
        if (!body.path("stream").asBoolean(false)) {
            return FakeOpenAi.ONLY_STREAMS;
        } else if (!messages.isArray() || messages.isEmpty()) {
            return new FakeOpenAi.Reply(400, FakeOpenAi.error("[] is too short - 'messages'", "messages", null));
        }
        FakeOpenAi.Reply unpaired = unpairedToolMessages(messages);
        if (unpaired != null) {
            return unpaired;
        }
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) {
            lastUser = "user".equals(messages.get(i).path("role").asText()) ? i : lastUser;
        }
        Script script = Script.parse(lastUser < 0 ? "" : text(messages.get(lastUser).path("content")));
        if (ChatStream.quirks(script).contains("string-error")) {
            return new FakeOpenAi.Reply(404, JSON.createObjectNode().put("error", "model \""
                    + body.path("model").asText() + "\" not found, try pulling it first"));
        }
        int attempt = attempts.merge(messages.toString(), 1, Integer::sum);
        FakeOpenAi.Reply failure = FakeOpenAi.failure(script, attempt);
        if (failure != null) {
            return failure;
        }
        ChatStream stream = new ChatStream(http, body.path("model").asText(), script, script.cutOn(attempt),
                body.path("stream_options").path("include_usage").asBoolean(false));
        http.startStream(FakeOpenAi.openAiHeaders(Map.of()));
        int roundsAsked = 0;
        for (int i = lastUser + 1; i < messages.size(); i++) {
            roundsAsked += messages.get(i).path("tool_calls").isArray() ? 1 : 0;
        }
        boolean results = "tool".equals(messages.get(messages.size() - 1).path("role").asText());
        if (!script.toolCalls().isEmpty() && (!results || roundsAsked < script.rounds())) {
            stream.tools(script.toolCalls().stream()
                    .map(call -> new ChatStream.Call(FakeOpenAi.newId("call_"), call.name(), call.arguments())).toList());
        } else if (results) {
            stream.text("Tool said: " + String.join(" | ", outputsInCallOrder(messages)));
        } else {
            stream.text(script.reply());
        }
        return null;
    }

    /** The contents of the trailing tool messages, in the order of the calls that asked for them. */
    private static List<String> outputsInCallOrder(JsonNode messages) {
        int end = messages.size();
        int start = end;
        while (start > 0 && "tool".equals(messages.get(start - 1).path("role").asText())) {
            start--;
        }
        Map<String, String> outputs = new HashMap<>();
        for (int i = start; i < end; i++) {
            outputs.put(messages.get(i).path("tool_call_id").asText(), text(messages.get(i).path("content")));
        }
        List<String> ordered = new ArrayList<>();
        for (JsonNode call : messages.get(start - 1).path("tool_calls")) {
            ordered.add(outputs.get(call.path("id").asText()));
        }
        return ordered;
    }

    /** OpenAI's 400 for a tool message that answers no call before it, or a call left unanswered; else null. */
    private static FakeOpenAi.Reply unpairedToolMessages(JsonNode messages) {
        Set<String> open = new LinkedHashSet<>();
        int asking = -1;
        for (int i = 0; i <= messages.size(); i++) {
            String role = i < messages.size() ? messages.get(i).path("role").asText() : "";
            if (role.equals("tool")) {
                if (!open.remove(messages.get(i).path("tool_call_id").asText())) {
                    return new FakeOpenAi.Reply(400, FakeOpenAi.error("Invalid parameter: messages with role 'tool' "
                            + "must be a response to a preceeding message with 'tool_calls'.", "messages.[" + i
                            + "].role", null));
                }
                continue;
            }
            if (!open.isEmpty()) {
                return new FakeOpenAi.Reply(400, FakeOpenAi.error("An assistant message with 'tool_calls' must be "
                        + "followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids "
                        + "did not have response messages: " + String.join(", ", open), "messages.[" + asking
                        + "].role", null));
            }
            if (i < messages.size() && messages.get(i).path("tool_calls").isArray()) {
                asking = i;
                messages.get(i).path("tool_calls").forEach(call -> open.add(call.path("id").asText()));
            }
        }
        return null;
    }

    /** A message's content: its text, or the texts of its parts joined by spaces. */
    private static String text(JsonNode content) {
        return content.isTextual() ? content.asText() : String.join(" ", content.findValuesAsText("text"));
    }
}
