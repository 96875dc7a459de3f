package io.assistantstream.backend;

/**
 * Where a backend puts an answer as it streams. Both calls say whether the answer's frames still
 * reach clients: false means they cannot (Redis or the relay failed), so the backend stops reading
 * and returns; the answer then ends and its delivery goes back to the queue. A failed publish
 * travels as this value, never as an exception through the stream reader.
 */
public interface AnswerSink {
    /** The model asked for tools; they are about to run. False: do not run them, the answer is over. */
    boolean toolsRunning();

    /**
     * A tool the model server runs itself (a hosted tool: web search, file search, an MCP server, …)
     * is at work; {@code activity} says what it does, in words for users ("Searching the web"). Each
     * activity is told once per answer. False: stop reading, the answer is over.
     */
    boolean hostedToolRunning(String activity);

    /** More answer text. False: stop reading, the answer is over. */
    boolean text(String delta);

    /** Whether text has reached clients: from then on an attempt must not be repeated. */
    boolean textSent();

    /**
     * The answer is whole upstream, and the backend is about to keep it (a history written). True: it
     * is completed, and a cancel from now on comes too late; false: a cancel came first, so keep
     * nothing, the answer ends {@code cancelled}. A backend with nothing to keep need not ask.
     */
    default boolean complete() {
        return true;
    }
}
