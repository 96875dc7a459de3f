package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data objects of the saved Assistants API stream transcripts ({@code /fixtures/assistants-*.replayable.txt}),
 * which {@link RunStream} copies as templates so that every event carries the fields real OpenAI sends, in its
 * order. Samples are keyed by event name, and for run steps (whose data has a {@code type}) by event name +
 * {@code "/"} + step type, e.g. {@code thread.run.step.created/tool_calls}; each key keeps its samples in
 * transcript order (files in {@link #FILES} order). Only {@code data: {…}} lines after an {@code event:} line count,
 * which skips {@code data: [DONE]} and the one spec data line that lacks its {@code data: } prefix.
 */
final class Transcripts {
    /** The transcripts, most relevant first: a key's first sample comes from the first file that has it. */
    static final List<String> FILES = List.of("assistants-create-run-stream-text",
            "assistants-create-thread-and-run-stream-requires-action", "assistants-submit-tool-outputs-stream",
            "assistants-create-thread-and-run-stream-text");

    private static final Map<String, List<ObjectNode>> SAMPLES = load();

    private Transcripts() {
    }

    /** The key of an event's data: the event name, plus {@code "/" + type} when the data has a string type. */
    static String key(String event, JsonNode data) {
        JsonNode type = data.path("type");
        return type.isTextual() ? event + "/" + type.asText() : event;
    }

    /**
     * A copy of the {@code n}-th sample (0-based; the last one when there are fewer) of a key, or an empty object
     * when no transcript has that event.
     */
    static ObjectNode template(String key, int n) {
        List<ObjectNode> samples = SAMPLES.get(key);
        return samples == null ? JSON.createObjectNode() : samples.get(Math.min(n, samples.size() - 1)).deepCopy();
    }

    private static Map<String, List<ObjectNode>> load() {
        Map<String, List<ObjectNode>> samples = new HashMap<>();
        for (String file : FILES) {
            String resource = "/fixtures/" + file + ".replayable.txt";
            try (InputStream in = Transcripts.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing " + resource);
                }
                String event = null;
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: {") && event != null) {
                        ObjectNode data = (ObjectNode) JSON.readTree(line.substring(6));
                        samples.computeIfAbsent(key(event, data), k -> new ArrayList<>()).add(data);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return samples;
    }
}
