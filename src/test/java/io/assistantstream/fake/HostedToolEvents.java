package io.assistantstream.fake;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hosted tools' events of the recorded Responses streams ({@code /fixtures/responses-stream-<tool>.txt}, copied
 * whole from real OpenAI streams), each as its raw {@code event:}/{@code data:} block, for {@code !hosted=TOOL}
 * ({@code web_search}, {@code file_search}, {@code mcp}) to stream verbatim: {@link #beforeText} is everything
 * between {@code response.in_progress} and the output item of the answer's message (the hosted tool's items and
 * progress events, and any reasoning items around them), {@link #annotations} the text's
 * {@code response.output_text.annotation.added} events.
 */
final class HostedToolEvents {
    private static final Map<String, HostedToolEvents> LOADED = new ConcurrentHashMap<>();

    private final List<String> beforeText = new ArrayList<>();
    private final List<String> annotations = new ArrayList<>();

    private HostedToolEvents(String tool) {
        String resource = "/fixtures/responses-stream-" + tool.replace('_', '-') + ".txt";
        String stream;
        try (InputStream in = HostedToolEvents.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no recorded stream for !hosted=" + tool + " (" + resource + ")");
            }
            stream = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean started = false;
        boolean text = false;
        for (String block : stream.split("\n\n")) {
            String event = block.startsWith("event: ") ? block.substring(7, block.indexOf('\n')) : "";
            if (event.equals("response.output_item.added") && item(block).path("type").asText().equals("message")) {
                text = true;
            } else if (event.equals("response.output_text.annotation.added")) {
                annotations.add(block + "\n\n");
            } else if (started && !text) {
                beforeText.add(block + "\n\n");
            }
            started |= event.equals("response.in_progress");
        }
    }

    static HostedToolEvents of(String tool) {
        return LOADED.computeIfAbsent(tool, HostedToolEvents::new);
    }

    List<String> beforeText() {
        return beforeText;
    }

    List<String> annotations() {
        return annotations;
    }

    private static JsonNode item(String block) {
        try {
            return FakeOpenAi.JSON.readTree(block.substring(block.indexOf("\ndata: ") + 7)).path("item");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
