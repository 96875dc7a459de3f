package io.assistantstream.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import io.assistantstream.network.NetworkFailure;

/**
 * A tool of {@code TOOLS_FILE}: each call POSTs
 * {@code {"name","arguments","channel","message_id","thread_id"}} (the arguments as the JSON object
 * the model wrote) to the tool's URL with its headers, and a 2xx answer's body is the output, read
 * as UTF-8 and capped ({@code TOOL_OUTPUT_MAX_BYTES}) as it is read. Any other status, a timeout or
 * an endpoint that cannot be reached becomes an error text for the model, naming the tool and the
 * cause in words: never a header's value, nor the URL's path or query (only its host), and an error
 * body only with the header values blanked out, should the endpoint quote them.
 */
public final class HttpTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The most of a failing endpoint's body that the model is told. */
    private static final int MAX_REASON_CHARS = 300;
    /** The shortest word of a header value blanked out of an error body on its own: shorter ones are no secret. */
    private static final int MIN_SECRET_CHARS = 8;

    private final DeclaredTool declared;
    private final WebClient client;
    private final OutputCap cap;

    public HttpTool(DeclaredTool declared, WebClient client, int outputMaxBytes) {
        this.declared = declared;
        this.client = client;
        this.cap = new OutputCap(outputMaxBytes);
    }

    @Override
    public String name() {
        return declared.name();
    }

    @Override
    public String description() {
        return declared.description();
    }

    @Override
    public JsonNode parameters() {
        return declared.parameters();
    }

    @Override
    public boolean strict() {
        return declared.strict();
    }

    @Override
    public Optional<Duration> timeout() {
        return Optional.of(declared.timeout());
    }

    @Override
    public String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException {
        ObjectNode body = JSON.createObjectNode().put("name", declared.name());
        body.set("arguments", arguments);
        body.put("channel", caller.channel()).put("message_id", caller.messageId()).put("thread_id", caller.threadId());
        HttpClientRequest request = client.post(declared.url().toString()).readTimeout(declared.timeout())
                .header(HeaderValues.CONTENT_TYPE_JSON);
        declared.headers().forEach((name, value) -> request.header(HeaderNames.create(name), value));
        try (HttpClientResponse response = request.submit(body.toString())) {
            int status = response.status().code();
            if (status / 100 == 2) {
                return cap.read(response.inputStream());
            }
            throw new ToolFailedException(declared.name() + " answered " + status + reason(response));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (RuntimeException e) {
            if (NetworkFailure.is(e) || e instanceof UncheckedIOException) {
                throw unreachable(e);
            }
            throw e;
        }
    }

    /** What the endpoint said of its failure: the start of its body, if any, without a header's value. */
    private String reason(HttpClientResponse response) throws IOException {
        String text = new String(response.inputStream().readNBytes(MAX_REASON_CHARS * 4), StandardCharsets.UTF_8);
        for (String value : declared.headers().values()) {
            text = text.replace(value, "***");
            for (String word : value.split("\\s+")) {
                if (word.length() >= MIN_SECRET_CHARS) { // "Bearer <token>": the token quoted alone
                    text = text.replace(word, "***");
                }
            }
        }
        text = text.strip().replaceAll("\\s+", " ");
        if (text.length() > MAX_REASON_CHARS) {
            text = text.substring(0, MAX_REASON_CHARS) + "…";
        }
        return text.isEmpty() ? "" : ": " + text;
    }

    private ToolFailedException unreachable(Exception e) {
        String cause = NetworkFailure.describe(e).orElse("the connection failed");
        // worded as the registry words a call it stopped waiting for, which races with this read timeout
        return new ToolFailedException(cause.equals(NetworkFailure.READ_TIMED_OUT)
                ? declared.name() + " did not finish within " + declared.timeout().toMillis() + " ms"
                : NetworkFailure.unreachable(declared.name(), declared.url(), cause));
    }
}
