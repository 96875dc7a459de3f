package io.assistantstream.backend;

/** Where a backend puts an answer as it streams. */
public interface AnswerSink {
    /** The model asked for tools; they are about to run. */
    void toolsRunning();

    /** More answer text. */
    void text(String delta);

    /** Whether text has reached clients: from then on an attempt must not be repeated. */
    boolean textSent();
}
