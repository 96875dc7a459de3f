package io.assistantstream.tools;

/** A tool could not do its work; the message is given to the model as the tool's output. */
public final class ToolFailedException extends Exception {
    public ToolFailedException(String message) {
        super(message);
    }
}
