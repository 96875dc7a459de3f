package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;
import static io.assistantstream.fake.FakeOpenAi.newId;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes one Assistants run stream ({@code event:}/{@code data:} frames, one chunk each, ending with
 * {@code event: done} / {@code data: [DONE]}). Each event's data is a copy of the transcripts' object for that event
 * ({@link Transcripts}) overwritten with this run's ids, timestamps, status, text and tool calls. The run's state
 * changes before the event announcing it is written, so a client that has read a terminal or requires_action event
 * finds the thread ready for its next request. A cut leaves the run as it was ({@code in_progress}).
 */
final class RunStream {
    private final HttpConnection http;
    private final AssistantsApi.Run run;
    private final Script script;
    private final String runId;
    private final String assistantId;
    private final String threadId;
    private final long expiresAt;
    private int textDeltas;

    /** Ends a stream whose run was cancelled meanwhile, once it has written thread.run.cancelled and done. */
    private static final class Cancelled extends Exception {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    RunStream(HttpConnection http, AssistantsApi.Run run) {
        ObjectNode json = run.snapshot();
        this.http = http;
        this.run = run;
        this.script = run.script;
        this.runId = json.get("id").asText();
        this.assistantId = json.get("assistant_id").asText();
        this.threadId = json.get("thread_id").asText();
        this.expiresAt = json.get("expires_at").asLong();
    }

    /** The current time in epoch seconds, as OpenAI's {@code *_at} fields carry it. */
    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /** A {@code usage} object for a step or run that produced this many tokens. */
    private static ObjectNode usage(int completionTokens) {
        return JSON.createObjectNode().put("prompt_tokens", 20).put("completion_tokens", completionTokens)
                .put("total_tokens", 20 + completionTokens);
    }

    /** A new run (status queued): created, queued, in_progress, then its first tool round or its text answer. */
    void start() throws IOException, InterruptedException {
        http.startStream(FakeOpenAi.openAiHeaders(Map.of()));
        try {
            ObjectNode queued = update(r -> { });
            emit("thread.run.created", queued);
            emit("thread.run.queued", queued);
            proceed(script.reply());
        } catch (Cancelled e) {
            // the stream ended with thread.run.cancelled
        }
    }

    /**
     * The stream of a submit_tool_outputs (the run queued again): the completed tool step, queued, in_progress,
     * then the next tool round or the answer {@code "Tool said: "} + the outputs joined by {@code " | "}.
     *
     * @param toolStep the tool_calls step with its outputs filled in, status completed
     * @param outputs  the outputs in call order
     */
    void resume(ObjectNode toolStep, List<String> outputs) throws IOException, InterruptedException {
        http.startStream(FakeOpenAi.openAiHeaders(Map.of()));
        try {
            emit("thread.run.step.completed", toolStep);
            emit("thread.run.queued", update(r -> { }));
            proceed("Tool said: " + String.join(" | ", outputs));
        } catch (Cancelled e) {
            // the stream ended with thread.run.cancelled
        }
    }

    /** in_progress, an optional cut or stall, then a scripted end, a tool round or the text answer. */
    private void proceed(String answer) throws IOException, InterruptedException, Cancelled {
        emit("thread.run.in_progress", update(r -> r.json.put("status", "in_progress").put("started_at", now())));
        cutIfDue();
        Thread.sleep(script.number("stall"));
        update(r -> { }); // a cancel during the stall ends the stream here
        if (script.has("failed")) {
            finish("thread.run.failed", r -> failed(r, "Sorry, something went wrong."));
        } else if (script.has("expired")) {
            finish("thread.run.expired", r -> r.json.put("status", "expired").put("expires_at", now()));
        } else if (script.has("cancelled")) {
            finish("thread.run.cancelled", AssistantsApi.Run::cancelled);
        } else if (!script.toolCalls().isEmpty() && roundsAsked() < script.rounds()) {
            tools();
        } else {
            text(answer);
        }
    }

    /** A tool_calls step streaming each call's id and name, then its arguments in pieces; then requires_action. */
    private void tools() throws IOException, InterruptedException, Cancelled {
        ObjectNode step = step("tool_calls");
        emit("thread.run.step.created", step);
        emit("thread.run.step.in_progress", step);
        String stepId = step.get("id").asText();
        List<String> callIds = new ArrayList<>();
        ArrayNode calls = JSON.createArrayNode();
        ArrayNode required = JSON.createArrayNode();
        int pieces = 0;
        for (Script.PlannedCall planned : script.toolCalls()) {
            int index = callIds.size();
            String callId = newId("call_");
            String arguments = planned.arguments();
            callIds.add(callId);
            beforeDelta();
            ObjectNode opened = Transcripts.template("thread.run.step.delta", 0).put("id", stepId);
            toolCallDelta(opened).put("index", index).put("id", callId).withObject("/function")
                    .put("name", planned.name());
            write("thread.run.step.delta", opened);
            for (String piece : Script.argumentDeltas(arguments)) {
                beforeDelta();
                ObjectNode more = Transcripts.template("thread.run.step.delta", 1).put("id", stepId);
                toolCallDelta(more).put("index", index).withObject("/function").put("arguments", piece);
                write("thread.run.step.delta", more);
                pieces++;
            }
            ObjectNode call = JSON.createObjectNode().put("id", callId).put("type", "function");
            call.putObject("function").put("name", planned.name()).put("arguments", arguments);
            required.add(call.deepCopy());
            ((ObjectNode) call.get("function")).putNull("output");
            calls.add(call);
        }
        step.withObject("/step_details").set("tool_calls", calls);
        int tokens = pieces;
        finish("thread.run.requires_action", r -> {
            r.json.put("status", "requires_action").putObject("required_action").put("type", "submit_tool_outputs")
                    .putObject("submit_tool_outputs").set("tool_calls", required);
            r.json.set("usage", usage(tokens));
            r.toolStep = step;
            r.callIds = List.copyOf(callIds);
            r.rounds++;
        });
    }

    /** A message_creation step whose message streams the reply, as far as the script lets it. */
    private void text(String reply) throws IOException, InterruptedException, Cancelled {
        String messageId = newId("msg_");
        ObjectNode step = step("message_creation");
        step.withObject("/step_details/message_creation").put("message_id", messageId);
        emit("thread.run.step.created", step);
        emit("thread.run.step.in_progress", step);
        ObjectNode message = Transcripts.template("thread.message.created", 0).put("id", messageId)
                .put("created_at", now()).put("assistant_id", assistantId).put("thread_id", threadId)
                .put("run_id", runId);
        emit("thread.message.created", message);
        emit("thread.message.in_progress", message);
        StringBuilder text = new StringBuilder();
        for (String planned : script.textDeltas(reply)) {
            beforeDelta();
            String piece = script.written(planned);
            // the transcripts' first delta of a message carries "annotations", later ones do not
            ObjectNode delta = Transcripts.template("thread.message.delta", Math.min(textDeltas, 1))
                    .put("id", messageId);
            ((ObjectNode) delta.at("/delta/content/0/text")).put("value", piece);
            write("thread.message.delta", delta);
            text.append(piece);
            textDeltas++;
            cutIfDue();
        }
        if (script.has("errorevent")) {
            update(r -> failed(r, "Something went wrong"));
            write("error", JSON.createObjectNode().put("code", "server_error").put("message", "Something went wrong")
                    .putNull("param").put("type", "server_error"));
            done();
            return;
        }
        message.putArray("content").addObject().put("type", "text").putObject("text")
                .put("value", text.toString()).putArray("annotations");
        long now = now();
        int tokens = textDeltas;
        if (script.has("incomplete")) {
            message.put("status", "incomplete").put("incomplete_at", now).putObject("incomplete_details")
                    .put("reason", "max_tokens");
            emit("thread.message.incomplete", message);
            finish("thread.run.incomplete", r -> {
                r.json.put("status", "incomplete").putNull("expires_at").set("usage", usage(tokens));
                r.json.putObject("incomplete_details").put("reason", "max_completion_tokens");
            });
            return;
        }
        message.put("status", "completed").put("completed_at", now);
        emit("thread.message.completed", message);
        step.put("status", "completed").put("completed_at", now).set("usage", usage(tokens));
        emit("thread.run.step.completed", step);
        finish("thread.run.completed", r -> r.json.put("status", "completed").put("completed_at", now)
                .putNull("expires_at").set("usage", usage(tokens)));
    }

    private static void failed(AssistantsApi.Run run, String message) {
        run.json.put("status", "failed").put("failed_at", now()).putNull("expires_at").putObject("last_error")
                .put("code", "server_error").put("message", message);
    }

    /** A new step of this run, in_progress, from the transcripts' {@code thread.run.step.created} of its type. */
    private ObjectNode step(String type) {
        return Transcripts.template("thread.run.step.created/" + type, 0).put("id", newId("step_"))
                .put("created_at", now()).put("run_id", runId).put("assistant_id", assistantId)
                .put("thread_id", threadId).put("expires_at", expiresAt);
    }

    private static ObjectNode toolCallDelta(ObjectNode stepDelta) {
        return (ObjectNode) stepDelta.at("/delta/step_details/tool_calls/0");
    }

    private int roundsAsked() {
        synchronized (run.lock) {
            return run.rounds;
        }
    }

    /** The {@code !delay}, then the end of the stream if the run was cancelled meanwhile. */
    private void beforeDelta() throws IOException, InterruptedException, Cancelled {
        Thread.sleep(script.number("delay"));
        update(r -> { });
    }

    private void cutIfDue() throws IOException {
        if (textDeltas == run.cutAt) {
            http.abort();
            throw new EOFException("scripted cut after " + textDeltas + " text deltas");
        }
    }

    /**
     * Applies a change to the run and returns a copy of it; if the run was cancelled meanwhile, ends the stream with
     * thread.run.cancelled and done instead.
     */
    private ObjectNode update(Consumer<AssistantsApi.Run> change) throws IOException, Cancelled {
        ObjectNode state = run.update(change);
        if (state == null) {
            emit("thread.run.cancelled", run.snapshot());
            done();
            throw new Cancelled();
        }
        return state;
    }

    /** Changes the run, writes the event announcing it, then done. */
    private void finish(String event, Consumer<AssistantsApi.Run> change) throws IOException, Cancelled {
        emit(event, update(change));
        done();
    }

    /** Writes an event whose data is the transcripts' object for it overwritten with the given state. */
    private void emit(String event, ObjectNode state) throws IOException {
        ObjectNode data = Transcripts.template(Transcripts.key(event, state), 0);
        data.setAll(state);
        write(event, data);
    }

    private void write(String event, ObjectNode data) throws IOException {
        http.chunk("event: " + event + "\ndata: " + JSON.writeValueAsString(data) + "\n\n");
    }

    private void done() throws IOException {
        http.chunk("event: done\ndata: [DONE]\n\n");
        http.endStream();
    }
}
