package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Writes one scripted Chat Completions stream: data-only frames ({@code data: {chunk}}), the chunks shaped as in the
 * saved OpenAI transcripts (first chunk with the role, one chunk per text or argument piece, a finish
 * chunk with an empty delta, with {@code stream_options.include_usage} a {@code "usage": null} on every chunk and a
 * usage chunk with {@code "choices": []}, then {@code data: [DONE]}).
 *
 * <p>{@code !quirk=A,B} makes it speak like another server, as that server's code or recordings show:
 * {@code whole-call} sends all tool calls whole in one chunk, with {@code index} (Ollama, Groq);
 * {@code no-index} leaves {@code index} out of every fragment (the id is in a call's first fragment only);
 * {@code args-in-finish} sends the last argument piece in the finish chunk (vLLM); {@code no-done} closes without
 * {@code [DONE]}; {@code usage-chunk} adds the usage chunk unasked (LiteLLM's proxy setting);
 * {@code filter-results} starts with Azure's chunk of prompt filter results and no choices.
 * Other directives: {@code !delay}, {@code !stall}, {@code !stamp}, {@code !cut} / {@code !cutalways} (counting
 * text and argument chunks), {@code !incomplete} / {@code !filtered} finish with {@code length} /
 * {@code content_filter} after half the text, {@code !errorevent} ends after half the text with Groq's
 * {@code event: error} (code {@code tool_use_failed}) and no {@code [DONE]}, {@code !malformed} with a chunk of
 * cut-off JSON.
 */
final class ChatStream {
    /** One function call the stream asks for: its id, the function's name and its arguments' JSON text. */
    record Call(String id, String name, String arguments) {
    }

    private final HttpConnection http;
    private final String id = FakeOpenAi.newId("chatcmpl-");
    private final long created = System.currentTimeMillis() / 1000;
    private final String model;
    private final Script script;
    private final int cutAt;
    private final boolean usage;
    private final Set<String> quirks;
    private int deltas;

    /**
     * @param cutAt close the socket once this many text or argument chunks were sent, -1 = never
     * @param usage whether the request asked for {@code stream_options.include_usage}
     */
    ChatStream(HttpConnection http, String model, Script script, int cutAt, boolean usage) {
        this.http = http;
        this.model = model;
        this.script = script;
        this.cutAt = cutAt;
        this.usage = usage;
        this.quirks = quirks(script);
    }

    /** The quirks {@code !quirk=A,B} names. */
    static Set<String> quirks(Script script) {
        return script.has("quirk") ? Arrays.stream(script.directives().get("quirk").split(","))
                .collect(Collectors.toUnmodifiableSet()) : Set.of();
    }

    /** Streams an assistant message with the given text, as far as the script lets it. */
    void text(String reply) throws IOException, InterruptedException {
        begin(delta -> delta.put("content", "").putNull("refusal"));
        for (String planned : script.textDeltas(reply)) {
            Thread.sleep(script.number("delay"));
            String piece = script.written(planned);
            piece(delta -> delta.put("content", piece));
        }
        if (script.has("errorevent")) { // Groq: an error event once the status line was sent, and no [DONE]
            ObjectNode error = JSON.createObjectNode();
            error.putObject("error").put("message", "Tool call validation failed: parameters for tool get_weather "
                            + "did not match schema").put("type", "invalid_request_error").put("code", "tool_use_failed")
                    .put("failed_generation", "{\"name\": \"get_weather\"}").put("status_code", 400);
            http.chunk("event: error\ndata: " + JSON.writeValueAsString(error) + "\n\n");
            http.endStream();
        } else if (script.has("malformed")) {
            http.chunk("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"del\n\n");
            http.endStream();
        } else {
            finish(script.has("incomplete") ? "length" : script.has("filtered") ? "content_filter" : "stop", null);
        }
    }

    /** Streams the calls' fragments (as the quirks shape them), then finishes with {@code tool_calls}. */
    void tools(List<Call> calls) throws IOException, InterruptedException {
        boolean wholeCalls = quirks.contains("whole-call");
        boolean merged = calls.size() == 1 && !wholeCalls; // OpenAI's single call starts in the role chunk
        begin(delta -> {
            delta.putNull("content");
            if (merged) {
                delta.putArray("tool_calls").add(opening(calls.getFirst(), 0));
            }
            delta.putNull("refusal");
        });
        if (wholeCalls) {
            piece(delta -> {
                ArrayNode all = delta.putArray("tool_calls");
                for (int i = 0; i < calls.size(); i++) {
                    ObjectNode call = all.addObject().put("id", calls.get(i).id()).put("type", "function");
                    call.putObject("function").put("name", calls.get(i).name())
                            .put("arguments", calls.get(i).arguments());
                    call.put("index", i);
                }
            });
            finish("tool_calls", null);
            return;
        }
        String held = null;
        for (int i = 0; i < calls.size(); i++) {
            int index = i;
            if (i > 0 || !merged) {
                piece(delta -> delta.putArray("tool_calls").add(opening(calls.get(index), index)));
            }
            List<String> pieces = Script.argumentDeltas(calls.get(i).arguments());
            boolean last = i == calls.size() - 1;
            for (int p = 0; p < pieces.size(); p++) {
                Thread.sleep(script.number("delay"));
                String piece = pieces.get(p);
                if (last && p == pieces.size() - 1 && quirks.contains("args-in-finish")) {
                    held = piece;
                } else {
                    piece(delta -> delta.putArray("tool_calls").add(fragment(index).set("function",
                            JSON.createObjectNode().put("arguments", piece))));
                }
            }
        }
        String rest = held;
        int lastIndex = calls.size() - 1;
        finish("tool_calls", rest == null ? null : delta -> delta.putArray("tool_calls")
                .add(fragment(lastIndex).set("function", JSON.createObjectNode().put("arguments", rest))));
    }

    /** A call's first fragment: id, type, name and empty arguments. */
    private ObjectNode opening(Call call, int index) {
        ObjectNode fragment = fragment(index).put("id", call.id()).put("type", "function");
        fragment.putObject("function").put("name", call.name()).put("arguments", "");
        return fragment;
    }

    /** A fragment of the call at {@code index}: with that index, unless the quirk leaves it out. */
    private ObjectNode fragment(int index) {
        ObjectNode fragment = JSON.createObjectNode();
        return quirks.contains("no-index") ? fragment : fragment.put("index", index);
    }

    /** Azure's filter chunk if asked for, the role chunk, then any cut or stall the script asks for. */
    private void begin(Consumer<ObjectNode> firstDelta) throws IOException, InterruptedException {
        if (quirks.contains("filter-results")) {
            http.chunk("data: {\"id\":\"\",\"choices\":[],\"created\":0,\"model\":\"\",\"object\":\"\","
                    + "\"system_fingerprint\":null,\"prompt_filter_results\":[{\"prompt_index\":0,"
                    + "\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n");
        }
        chunk(delta -> {
            delta.put("role", "assistant");
            firstDelta.accept(delta);
        }, null);
        cutIfDue();
        Thread.sleep(script.number("stall"));
    }

    /** One text or argument chunk, counted for a scripted cut. */
    private void piece(Consumer<ObjectNode> delta) throws IOException {
        chunk(delta, null);
        deltas++;
        cutIfDue();
    }

    private void cutIfDue() throws IOException {
        if (deltas == cutAt) {
            http.abort();
            throw new EOFException("scripted cut after " + deltas + " chunks");
        }
    }

    /** The finish chunk (its delta empty unless {@code delta} fills it), the usage chunk, [DONE]. */
    private void finish(String reason, Consumer<ObjectNode> delta) throws IOException {
        chunk(delta == null ? d -> { } : delta, reason);
        if (usage || quirks.contains("usage-chunk")) {
            ObjectNode last = head();
            last.putArray("choices");
            last.putObject("usage").put("prompt_tokens", 44).put("completion_tokens", deltas)
                    .put("total_tokens", 44 + deltas);
            http.chunk("data: " + JSON.writeValueAsString(last) + "\n\n");
        }
        if (!quirks.contains("no-done")) {
            http.chunk("data: [DONE]\n\n");
        }
        http.endStream();
    }

    private void chunk(Consumer<ObjectNode> delta, String finishReason) throws IOException {
        ObjectNode chunk = head();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        delta.accept(choice.putObject("delta"));
        choice.putNull("logprobs").put("finish_reason", finishReason);
        if (usage) {
            chunk.putNull("usage");
        }
        http.chunk("data: " + JSON.writeValueAsString(chunk) + "\n\n");
    }

    private ObjectNode head() {
        return JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("system_fingerprint", "fp_fake0000");
    }
}
