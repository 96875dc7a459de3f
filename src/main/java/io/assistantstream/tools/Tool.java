package io.assistantstream.tools;

import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/** A function the model may call. Implementations run on a virtual thread and may block. */
public interface Tool {
    String name();

    String description();

    /** The JSON schema of the arguments object. */
    JsonNode parameters();

    /**
     * Whether the model is held to {@link #parameters()} exactly (OpenAI's strict function calling,
     * which needs every property required and {@code additionalProperties: false}).
     */
    default boolean strict() {
        return true;
    }

    /** How long one call may take; empty: the registry's timeout ({@code TOOL_TIMEOUT_MS}). */
    default Optional<Duration> timeout() {
        return Optional.empty();
    }

    /**
     * Runs the tool for the answer {@code caller} names.
     *
     * @return the text handed back to the model
     * @throws ToolFailedException with a message the model can read, for an expected failure
     */
    String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException;
}
