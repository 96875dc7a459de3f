package io.assistantstream.tools;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.assistantstream.config.RedactedUri;

/**
 * One tool of {@code TOOLS_FILE}, validated: the model calls it by {@code name}, and the call is a
 * POST to {@code url} with {@code headers} (their {@code ${VAR}}s already replaced), bounded by
 * {@code timeout}. The header values are secrets (keys, tokens): {@link #toString()} names the
 * headers only (and shows the URL without user-info or query).
 *
 * @param strict whether the model is held to {@code parameters} exactly (OpenAI's strict function calling)
 */
public record DeclaredTool(String name, String description, JsonNode parameters, URI url,
                           Map<String, String> headers, Duration timeout, boolean strict) {
    public DeclaredTool {
        headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
        return "DeclaredTool[name=" + name + ", url=" + RedactedUri.of(url) + ", headers " + headers.keySet().stream().sorted().toList()
                + ", timeout " + timeout.toMillis() + " ms" + (strict ? ", strict" : "") + "]";
    }
}
