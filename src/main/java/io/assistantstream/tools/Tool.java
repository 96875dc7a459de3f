package io.assistantstream.tools;

import com.fasterxml.jackson.databind.JsonNode;

/** A function the model may call. Implementations run on a virtual thread and may block. */
public interface Tool {
    String name();

    String description();

    /** The JSON schema of the arguments object. */
    JsonNode parameters();

    /**
     * Runs the tool for the answer {@code caller} names.
     *
     * @return the text handed back to the model
     * @throws ToolFailedException with a message the model can read, for an expected failure
     */
    String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException;
}
