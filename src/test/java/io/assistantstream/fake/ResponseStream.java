package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Writes one scripted Responses API stream ({@code event:}/{@code data:} frames, one chunk each). */
final class ResponseStream {
    /** One function call the stream emits. */
    record ToolCall(String itemId, String callId, Script.PlannedCall planned) {
        ObjectNode item(String arguments) {
            return JSON.createObjectNode().put("type", "function_call").put("id", itemId).put("call_id", callId)
                    .put("name", planned.name()).put("arguments", arguments);
        }
    }

    private final HttpConnection http;
    private final ObjectNode response;
    private final Script script;
    private final int cutAt;
    private final Runnable release;
    private int sequence;
    private int deltas;

    /**
     * @param response the response object (status in_progress, empty output); completed in place
     * @param cutAt    close the socket once this many deltas were sent, -1 = never
     * @param release  run right before the terminal event or the cut (frees the conversation)
     */
    ResponseStream(HttpConnection http, ObjectNode response, Script script, int cutAt, Runnable release) {
        this.http = http;
        this.response = response;
        this.script = script;
        this.cutAt = cutAt;
        this.release = release;
    }

    /** Streams an assistant message with the given text, as far as the script lets it. */
    void text(String reply) throws IOException, InterruptedException {
        if (!begin()) {
            return;
        }
        for (String tool : script.hostedTools()) {
            for (String event : HostedToolEvents.of(tool).beforeText()) {
                http.chunk(event);
            }
        }
        String id = FakeOpenAi.newId("msg_");
        boolean incomplete = script.has("incomplete");
        List<String> sent = script.textDeltas(reply);
        emit("response.output_item.added", e -> e.put("output_index", 0).set("item", message(id, "in_progress", null)));
        emit("response.content_part.added", e -> textIds(e, id).set("part", part("")));
        List<String> written = stream("response.output_text.delta", sent, e -> textIds(e, id).putArray("logprobs"));
        if (script.has("errorevent")) {
            finish("error", e -> e.put("code", "server_error").put("message", "Something went wrong").putNull("param"));
            return;
        }
        if (script.has("malformed")) { // a data line cut in the middle, as a broken proxy might pass it on
            http.chunk("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"del\n\n");
            release.run();
            http.endStream();
            return;
        }
        String text = String.join("", written);
        emit("response.output_text.done", e -> textIds(e, id).put("text", text).putArray("logprobs"));
        emit("response.content_part.done", e -> textIds(e, id).set("part", part(text)));
        ObjectNode item = message(id, incomplete ? "incomplete" : "completed", text);
        emit("response.output_item.done", e -> e.put("output_index", 0).set("item", item));
        response.withArray("output").add(item);
        if (incomplete) {
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        }
        end(incomplete ? "incomplete" : "completed");
    }

    /** Streams one function_call output item per call (output_index 0, 1, …), then response.completed. */
    void tools(List<ToolCall> calls) throws IOException, InterruptedException {
        if (!begin()) {
            return;
        }
        for (int i = 0; i < calls.size(); i++) {
            int index = i;
            ToolCall call = calls.get(i);
            String args = call.planned().arguments();
            emit("response.output_item.added", e -> e.put("output_index", index).set("item", call.item("")));
            stream("response.function_call_arguments.delta", Script.argumentDeltas(args),
                    e -> e.put("item_id", call.itemId()).put("output_index", index));
            emit("response.function_call_arguments.done", e -> e.put("item_id", call.itemId())
                    .put("name", call.planned().name()).put("output_index", index).put("arguments", args));
            ObjectNode item = call.item(args);
            emit("response.output_item.done", e -> e.put("output_index", index).set("item", item));
            response.withArray("output").add(item);
        }
        end("completed");
    }

    /** created, in_progress, an ignorable reasoning event, optional cut/stall; false if the stream failed. */
    private boolean begin() throws IOException, InterruptedException {
        emit("response.created", e -> e.set("response", response));
        emit("response.in_progress", e -> e.set("response", response));
        emit("response.reasoning_summary_text.delta", e -> e.put("item_id", FakeOpenAi.newId("rs_"))
                .put("output_index", 0).put("summary_index", 0).put("delta", "Thinking about the question."));
        cutIfDue();
        Thread.sleep(script.number("stall"));
        if (!script.has("failed")) {
            return true;
        }
        response.put("status", "failed").putObject("error").put("code", "server_error")
                .put("message", "The model failed to generate a response.");
        finish("response.failed", e -> e.set("response", response));
        return false;
    }

    /** Streams the pieces as delta events; returns what was written (stamped pieces differ from the input). */
    private List<String> stream(String type, List<String> pieces, Consumer<ObjectNode> ids)
            throws IOException, InterruptedException {
        boolean text = type.equals("response.output_text.delta");
        List<String> written = new ArrayList<>();
        for (String planned : pieces) {
            Thread.sleep(script.number("delay"));
            String piece = text ? script.written(planned) : planned;
            written.add(piece);
            emit(type, e -> {
                ids.accept(e);
                e.put("delta", piece);
            });
            if (++deltas == 1) {
                emit("response.future_event_kind", e -> e.putObject("payload").put("note", "clients ignore this"));
                if (text) {
                    for (String tool : script.hostedTools()) {
                        for (String annotation : HostedToolEvents.of(tool).annotations()) {
                            http.chunk(annotation);
                        }
                    }
                }
            }
            cutIfDue();
        }
        return written;
    }

    private void cutIfDue() throws IOException {
        if (deltas == cutAt) {
            release.run();
            http.abort();
            throw new EOFException("scripted cut after " + deltas + " deltas");
        }
    }

    private void end(String status) throws IOException {
        response.put("status", status).putObject("usage").put("input_tokens", 37)
                .put("output_tokens", deltas).put("total_tokens", 37 + deltas)
                .<ObjectNode>set("input_tokens_details", JSON.createObjectNode().put("cached_tokens", 0))
                .set("output_tokens_details", JSON.createObjectNode().put("reasoning_tokens", 0));
        finish("response." + status, e -> e.set("response", response));
    }

    private void finish(String type, Consumer<ObjectNode> body) throws IOException {
        release.run();
        emit(type, body);
        if (script.has("done")) {
            http.chunk("data: [DONE]\n\n");
        }
        http.endStream();
    }

    private void emit(String type, Consumer<ObjectNode> body) throws IOException {
        ObjectNode event = JSON.createObjectNode().put("type", type);
        body.accept(event);
        event.put("sequence_number", sequence++);
        http.chunk("event: " + type + "\ndata: " + JSON.writeValueAsString(event) + "\n\n");
    }

    private static ObjectNode textIds(ObjectNode event, String itemId) {
        return event.put("item_id", itemId).put("output_index", 0).put("content_index", 0);
    }

    private static ObjectNode part(String text) {
        ObjectNode part = JSON.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    private static ObjectNode message(String id, String status, String text) {
        ObjectNode item = JSON.createObjectNode().put("id", id).put("type", "message").put("status", status)
                .put("role", "assistant");
        var content = item.putArray("content");
        if (text != null) {
            content.add(part(text));
        }
        return item;
    }
}
