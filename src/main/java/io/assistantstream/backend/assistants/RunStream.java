package io.assistantstream.backend.assistants;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.SseEvent;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.tools.ToolCall;

/**
 * The reading of one run stream (a new run, or the run going on after its tool outputs): text to
 * the sink, the tool calls of {@code thread.run.requires_action} collected, a run that ends in any
 * way but {@code completed} turned into the failure it is.
 */
final class RunStream {
    /** The statuses in which a run is over. */
    static final Set<String> ENDED = Set.of("cancelled", "failed", "completed", "expired", "incomplete");

    private final AnswerSink sink;
    private final List<ToolCall> calls = new ArrayList<>();
    private String runId;
    private boolean ended;

    RunStream(AnswerSink sink) {
        this.sink = sink;
    }

    /** The tool calls the run requires, empty when it completed. */
    List<ToolCall> calls() {
        return calls;
    }

    /** The run's id, once an event named it. */
    String runId() {
        return runId;
    }

    /** Whether the run reached an end (completed, failed, …), so nothing is left to cancel. */
    boolean ended() {
        return ended;
    }

    boolean onEvent(SseEvent event) throws AnswerFailedException {
        JsonNode data = OpenAiClient.json(event);
        String type = event.event() != null ? event.event() : typeOf(data);
        if ("thread.run".equals(data.path("object").asText())) {
            runId = data.path("id").asText(runId);
            ended = ENDED.contains(data.path("status").asText());
        }
        switch (type) {
            case "thread.run.created" -> calls.clear(); // a retried attempt starts afresh
            case "thread.message.delta" -> {
                if (!text(data.path("delta").path("content"))) {
                    return false; // the frames reach no one: the answer is over
                }
            }
            case "thread.run.requires_action" -> {
                for (JsonNode call : data.path("required_action").path("submit_tool_outputs").path("tool_calls")) {
                    JsonNode function = call.path("function");
                    ToolRounds.collect(calls, new ToolCall(call.path("id").asText(), function.path("name").asText(),
                            function.path("arguments").asText("")));
                }
                if (calls.isEmpty()) {
                    throw new AnswerFailedException("The assistant sent a malformed answer",
                            "OpenAI run " + AnswerFailedException.clipped(runId)
                                    + " requires action but names no tool call");
                }
                return false; // the run waits for the outputs; the stream only ends
            }
            case "thread.run.completed" -> {
                return false;
            }
            case "thread.run.failed" -> throw AnswerFailedException.failed("run", data.path("last_error"));
            case "thread.run.incomplete" -> throw AnswerFailedException.cutShort("run",
                    data.path("incomplete_details").path("reason").asText("unknown reason"));
            case "thread.run.expired" -> throw new AnswerFailedException("The assistant took too long to answer",
                    "OpenAI run " + AnswerFailedException.clipped(runId) + " expired" + reason(data));
            case "thread.run.cancelled" -> throw new AnswerFailedException("The answer was cancelled",
                    "OpenAI run " + AnswerFailedException.clipped(runId) + " was cancelled" + reason(data));
            case "error" -> throw AnswerFailedException.streamError(data);
            default -> {
                // steps, message snapshots and event kinds added later carry nothing needed here
            }
        }
        return true;
    }

    /** Streams the text parts; false once the frames reach no one. */
    private boolean text(JsonNode content) {
        for (JsonNode part : content) {
            String value = part.path("text").path("value").asText("");
            if ("text".equals(part.path("type").asText()) && !value.isEmpty() && !sink.text(value)) {
                return false;
            }
        }
        return true;
    }

    /** The event type of a stream without {@code event:} lines, from the object the data is. */
    private static String typeOf(JsonNode data) {
        if (data.has("error")) {
            return "error";
        }
        String object = data.path("object").asText("");
        return "thread.run".equals(object) ? object + "." + data.path("status").asText() : object;
    }

    private static String reason(JsonNode run) {
        JsonNode error = run.path("last_error");
        return error.hasNonNull("message") ? ": " + AnswerFailedException.clipped(error.get("message").asText()) : "";
    }
}
