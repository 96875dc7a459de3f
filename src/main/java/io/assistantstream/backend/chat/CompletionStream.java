package io.assistantstream.backend.chat;

import com.fasterxml.jackson.databind.JsonNode;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.SseEvent;

/**
 * The reading of one streamed {@code POST /chat/completions}: text to the sink and kept for the
 * history, tool call fragments assembled, until a chunk carries a {@code finish_reason}. The stream
 * is complete at that chunk: what may follow (a usage chunk, {@code [DONE]}) is not needed, and a
 * server that closes without {@code [DONE]} has still answered. A stream that closes before any
 * {@code finish_reason} is cut, which {@link OpenAiClient} treats like any broken stream.
 *
 * <p>Chunks without choices (a usage chunk, Azure's content filter results) carry nothing to read;
 * unknown delta fields (a reasoning text) are ignored. An error, as an {@code error} event (Groq) or
 * as a chunk that is an error object (vLLM), fails the answer with the server's message; so do the
 * finish reasons that end an answer before its end: {@code length} (the token limit) and
 * {@code content_filter}.
 */
final class CompletionStream {
    private final AnswerSink sink;
    private StringBuilder text = new StringBuilder();
    private ToolCallAssembly calls = new ToolCallAssembly();
    private boolean stopped;

    CompletionStream(AnswerSink sink) {
        this.sink = sink;
    }

    /** Handles one event; false once the completion finished or the sink wants no more. */
    boolean onEvent(SseEvent event) throws AnswerFailedException {
        JsonNode chunk = OpenAiClient.json(event);
        if ("error".equals(event.event()) || chunk.has("error")) {
            throw AnswerFailedException.streamError(chunk);
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.isMissingNode()) {
            return true;
        }
        JsonNode delta = choice.path("delta");
        JsonNode fragments = delta.path("tool_calls");
        if (fragments.isArray()) {
            calls.add(fragments); // before the text: a stop now leaves nothing half read behind
        }
        String content = delta.path("content").isTextual() ? delta.get("content").asText() : "";
        if (!content.isEmpty()) {
            text.append(content);
            if (!sink.text(content)) {
                stopped = true; // the frames reach no one, or the answer was cancelled: it is over
                return false;
            }
        }
        JsonNode reason = choice.path("finish_reason");
        if (!reason.isTextual()) {
            return true;
        }
        switch (reason.asText()) {
            case "length" -> throw new AnswerFailedException("The answer was cut at the token limit",
                    "the model server stopped the answer at its token limit (finish_reason \"length\")");
            case "content_filter" -> throw new AnswerFailedException("The answer was stopped by the content filter",
                    "the model server's content filter stopped the answer (finish_reason \"content_filter\")");
            default -> {
                return false; // stop, tool_calls, and the names other servers give them
            }
        }
    }

    /**
     * Starts again, for another attempt at the same request: what the broken one read is not part
     * of the answer (no text of it reached clients, or it would not be retried).
     */
    void restart() {
        text = new StringBuilder();
        calls = new ToolCallAssembly();
    }

    /**
     * Whether the completion ended as the model meant it to: a {@code finish_reason}, or
     * {@code [DONE]} from a server that gives none, and not stopped by the sink.
     */
    boolean complete() {
        return !stopped;
    }

    String text() {
        return text.toString();
    }

    ToolCallAssembly calls() {
        return calls;
    }
}
