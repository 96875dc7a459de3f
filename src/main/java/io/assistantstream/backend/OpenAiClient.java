package io.assistantstream.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import io.assistantstream.config.RedactedUri;
import io.assistantstream.config.Settings;
import io.assistantstream.network.NetworkFailure;
import io.assistantstream.observe.Meters;

/**
 * HTTP to OpenAI, shared by every backend: authentication, JSON, SSE streams read blocking on the
 * caller's virtual thread, timeouts, and retries the way the official SDKs do them (408, 409, 429,
 * 5xx, {@code conversation_locked} and connection errors; {@code Retry-After} or
 * {@code retry-after-ms} honoured up to 120 s, else 0.5 s·2ⁿ capped at 8 s with jitter). A stream
 * that breaks is retried only while the caller says that is safe, i.e. before any text reached
 * clients. An error answer is an {@link AnswerFailedException} carrying the
 * {@linkplain AnswerFailedException#upstream() upstream error}, for the backend to interpret.
 *
 * <p>The details of a failure go to clients, so they hold OpenAI's own error message and this
 * service's words only: never an exception's message (an HTTP client's may name the URL with its
 * user-info, or the request), the base URL only as its host and port, and never the API key, even
 * where a server echoes it.
 */
public final class OpenAiClient {
    private static final Logger LOG = Logger.getLogger(OpenAiClient.class.getName());
    /**
     * Jackson keeps its parse buffers in a thread-local pool by default; with one virtual thread per
     * answer that is a fresh set of buffers kept alive by every answer (they were a quarter of the
     * heap with 1,000 answers open). One shared pool serves them all.
     */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedLockFreePool()).build());
    private static final HeaderName RETRY_AFTER = HeaderNames.create("Retry-After");
    private static final HeaderName RETRY_AFTER_MS = HeaderNames.create("retry-after-ms");
    private static final HeaderName SHOULD_RETRY = HeaderNames.create("x-should-retry");
    private static final long MAX_RETRY_AFTER_MS = 120_000;

    private final WebClient client;
    private final Settings.OpenAi settings;
    private final StreamWatchdog watchdog;
    private final String baseUrl;
    /** The base URL as failures name it: without user-info or query. */
    private final URI shownBaseUrl;
    /** The key's header ({@code Authorization: Bearer …}, or Azure's {@code api-key}); null: no key, none sent. */
    private final Header key;
    /** Parameters added to every request's URL (none: empty), decoded: the client encodes them. */
    private final List<Parameter> query;
    private final List<Header> headers;
    private final Meters meters;

    public OpenAiClient(WebClient client, Settings.OpenAi settings, StreamWatchdog watchdog, Meters meters) {
        this(client, settings, watchdog, List.of(), meters);
    }

    private OpenAiClient(WebClient client, Settings.OpenAi settings, StreamWatchdog watchdog, List<Header> headers,
                         Meters meters) {
        this.client = client;
        this.meters = meters;
        this.settings = settings;
        this.watchdog = watchdog;
        String base = settings.baseUrl().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.shownBaseUrl = RedactedUri.of(settings.baseUrl());
        this.key = settings.apiKey().isEmpty() ? null
                : settings.authHeader().equalsIgnoreCase(Settings.OpenAi.BEARER)
                ? new Header(HeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey())
                : new Header(HeaderNames.create(settings.authHeader()), settings.apiKey());
        this.query = Parameter.parse(settings.query());
        this.headers = headers;
    }

    /** This client, sending one more header on every request (e.g. {@code OpenAI-Beta}). */
    public OpenAiClient withHeader(String name, String value) {
        List<Header> more = new ArrayList<>(headers);
        more.add(new Header(HeaderNames.create(name), value));
        return new OpenAiClient(client, settings, watchdog, List.copyOf(more), meters);
    }

    private record Header(HeaderName name, String value) {
    }

    /** A query parameter, decoded. */
    private record Parameter(String name, String value) {
        /** {@code name=value&…} as {@code OPENAI_QUERY} holds them (validated), in order. */
        static List<Parameter> parse(String query) {
            List<Parameter> parameters = new ArrayList<>();
            for (String pair : query.isEmpty() ? new String[0] : query.split("&")) {
                String[] parts = pair.split("=", 2);
                parameters.add(new Parameter(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                        URLDecoder.decode(parts[1], StandardCharsets.UTF_8)));
            }
            return List.copyOf(parameters);
        }
    }

    /** What a stream's reader does with each event; returns false to stop reading. */
    @FunctionalInterface
    public interface EventHandler {
        boolean onEvent(SseEvent event) throws AnswerFailedException;
    }

    /** POSTs JSON and returns the JSON answer, retrying as the SDKs do. */
    public JsonNode post(String path, JsonNode body, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        return call(Method.POST, path, body, deadline);
    }

    /** POSTs JSON that creates something (a conversation, a thread, an assistant) and returns its id. */
    public String create(String path, JsonNode body, Deadline deadline) throws AnswerFailedException, InterruptedException {
        JsonNode created = post(path, body, deadline);
        String id = created.path("id").asText("");
        if (id.isEmpty()) {
            LOG.fine(() -> "OpenAI answered POST " + path + " without an id: " + created);
            throw new AnswerFailedException("The assistant sent a malformed answer",
                    "OpenAI answered POST " + path + " without an id");
        }
        return id;
    }

    /** GETs {@code path} (with its query) and returns the JSON answer, retrying as the SDKs do. */
    public JsonNode get(String path, Deadline deadline) throws AnswerFailedException, InterruptedException {
        return call(Method.GET, path, null, deadline);
    }

    private JsonNode call(Method method, String path, JsonNode body, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        Attempts attempts = new Attempts();
        for (int attempt = 0; ; attempt++) {
            Retry retry;
            try (HttpClientResponse response = send(method, path, body, settings.firstEventTimeout(), false)) {
                if (response.status().code() / 100 == 2) {
                    return JSON.readTree(response.as(String.class));
                }
                retry = attempts.failure(response, attempt);
            } catch (IOException | RuntimeException e) {
                if (e instanceof RuntimeException other && !transportFailure(other)) {
                    throw other;
                }
                retry = attempts.transportFailure(e, attempt);
            }
            attempts.pause(retry, deadline);
        }
    }

    /**
     * POSTs JSON that asks for a stream and hands each event to {@code handler} until the stream
     * ends, the handler stops it, or a timeout ends it.
     *
     * @param safeToRetry asked after a broken stream: may the request be sent again?
     */
    public void stream(String path, JsonNode body, Deadline deadline, EventHandler handler,
                       BooleanSupplier safeToRetry)
            throws AnswerFailedException, InterruptedException {
        Attempts attempts = new Attempts();
        for (int attempt = 0; ; attempt++) {
            Retry retry;
            StreamWatchdog.Watch watch = watchdog.watch(settings.firstEventTimeout(), settings.idleTimeout(), deadline);
            boolean answered = false;
            try (watch; HttpClientResponse response = send(Method.POST, path, body,
                    settings.firstEventTimeout().plus(settings.idleTimeout()), true)) {
                answered = true;
                if (response.status().code() / 100 != 2) {
                    retry = attempts.failure(response, attempt);
                } else {
                    SseReader events = new SseReader(response.inputStream());
                    for (SseEvent event; (event = events.next()) != null; ) {
                        watch.eventSeen();
                        if (event.isDone() || !handler.onEvent(event)) {
                            drain(events);
                            return;
                        }
                    }
                    throw new StreamEndedEarly();
                }
            } catch (OversizedEventException e) {
                // not retried: the same request would most likely meet the same answer
                throw attempts.failed(new AnswerFailedException("The assistant sent a malformed answer",
                        "OpenAI sent " + e.getMessage()));
            } catch (IOException | RuntimeException e) {
                String timedOut = watch.expired();
                if (e instanceof RuntimeException other && !transportFailure(other)) {
                    throw other; // not the connection: a bug in handling an event
                }
                LOG.log(Level.FINE, "OpenAI stream failed", e);
                Optional<String> network = NetworkFailure.describe(e);
                boolean unreachable = timedOut == null && !answered && network.isPresent();
                String reason = timedOut != null ? "OpenAI stream timed out: " + timedOut
                        : unreachable ? NetworkFailure.unreachable("OpenAI", shownBaseUrl, network.get())
                        : "OpenAI stream broke: " + network.orElseGet(() -> describe(e));
                if (!safeToRetry.getAsBoolean() || attempt >= settings.maxRetries()) {
                    throw attempts.failed(new AnswerFailedException(timedOut != null
                            ? "The assistant took too long to answer" : unreachable ? "The assistant could not be reached"
                            : "The connection to the assistant broke", reason));
                }
                retry = new Retry(backoff(attempt), reason);
            }
            attempts.pause(retry, deadline);
        }
    }

    /**
     * Whether an unchecked exception from a request is the connection failing (a network failure, a
     * connection Helidon found closed, an answer that is not HTTP), as opposed to a bug.
     */
    private static boolean transportFailure(RuntimeException e) {
        return e instanceof UncheckedIOException || e instanceof IllegalStateException
                || e instanceof DataReader.InsufficientDataAvailableException || NetworkFailure.is(e);
    }

    /**
     * Reads what follows the terminal event (a {@code [DONE]}, the closing chunk) so the connection
     * can be reused; the answer is complete, so a failure here only costs the connection.
     */
    private static void drain(SseReader events) {
        try {
            while (events.next() != null) {
                // after the terminal event nothing is needed
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.fine(() -> "Could not read the end of a finished stream: " + e);
        }
    }

    /** A stream that ended before its answer did; its message is this service's own words. */
    private static final class StreamEndedEarly extends IOException {
        StreamEndedEarly() {
            super("the stream ended before the answer was complete");
        }
    }

    /** A retry: how long to wait first, and why it is needed. */
    private record Retry(long delayMillis, String reason) {
    }

    private HttpClientResponse send(Method method, String path, JsonNode body, Duration readTimeout,
                                    boolean eventStream) {
        HttpClientRequest request = client.method(method).uri(baseUrl + path)
                .header(eventStream ? HeaderValues.ACCEPT_EVENT_STREAM : HeaderValues.ACCEPT_JSON)
                .readTimeout(readTimeout);
        if (key != null) {
            request.header(key.name(), key.value());
        }
        query.forEach(parameter -> request.queryParam(parameter.name(), parameter.value()));
        headers.forEach(header -> request.header(header.name(), header.value()));
        HttpClientResponse response;
        try {
            response = body == null ? request.request()
                    : request.header(HeaderValues.CONTENT_TYPE_JSON).submit(body.toString());
        } catch (RuntimeException e) {
            meters.openAiRequests("error").increment();
            throw e;
        }
        meters.openAiRequests(Integer.toString(response.status().code())).increment();
        return response;
    }

    /**
     * The attempts at one request: decides on retries and remembers why earlier attempts failed, so
     * the final error names the first cause (a timeout, say) and not only the last symptom.
     */
    private final class Attempts {
        private final Set<String> earlier = new LinkedHashSet<>();

        /** Decides what an error status means: a retry after a pause, or a failure. */
        private Retry failure(HttpClientResponse response, int attempt) throws AnswerFailedException {
            int status = response.status().code();
            JsonNode error = errorOf(response);
            String code = error.path("code").asText("");
            String type = error.path("type").asText("");
            String message = withoutKey(error.path("message").asText(response.status().reasonPhrase()));
            String details = withoutKey("OpenAI answered " + status + ": " + AnswerFailedException.clipped(message)
                    + (code.isEmpty() ? (type.isEmpty() ? "" : " (" + AnswerFailedException.clipped(type) + ")")
                    : " (" + AnswerFailedException.clipped(code) + ")"));
            boolean retryable = RetryRules.retryable(status, code, type, response.headers().first(SHOULD_RETRY));
            long delay = RetryRules.retryAfterMillis(response.headers().first(RETRY_AFTER_MS),
                    response.headers().first(RETRY_AFTER), System.currentTimeMillis()).orElse(backoff(attempt));
            if (!retryable || attempt >= settings.maxRetries() || delay > MAX_RETRY_AFTER_MS) {
                throw failed(new AnswerFailedException(RetryRules.summaryFor(status, code), details
                        + (retryable ? " (gave up after " + (attempt + 1) + " attempts)" : ""),
                        new AnswerFailedException.UpstreamError(status, code, message)));
            }
            return new Retry(delay, details);
        }

        private Retry transportFailure(Exception e, int attempt) throws AnswerFailedException {
            LOG.log(Level.FINE, "OpenAI request failed", e);
            String details = NetworkFailure.unreachable("OpenAI", shownBaseUrl,
                    NetworkFailure.describe(e).orElseGet(() -> describe(e)));
            if (attempt >= settings.maxRetries()) {
                throw failed(new AnswerFailedException("The assistant could not be reached",
                        details + " (gave up after " + (attempt + 1) + " attempts)"));
            }
            return new Retry(backoff(attempt), details);
        }

        private void pause(Retry retry, Deadline deadline) throws AnswerFailedException, InterruptedException {
            if (deadline.remainingNanos() < retry.delayMillis() * 1_000_000L) {
                throw failed(new AnswerFailedException("The assistant took too long to answer",
                        retry.reason() + " (no time left to retry within " + deadline.budget().toMillis() + " ms)"));
            }
            LOG.fine(() -> retry.reason() + "; retrying in " + retry.delayMillis() + " ms");
            meters.openAiRetries().increment();
            earlier.add(retry.reason());
            Thread.sleep(retry.delayMillis());
        }

        AnswerFailedException failed(AnswerFailedException last) {
            // the last reason, perhaps with "(gave up after …)", is not repeated among the earlier ones
            earlier.removeIf(reason -> last.getMessage().startsWith(reason));
            if (earlier.isEmpty()) {
                return last;
            }
            return new AnswerFailedException(last.summary(), last.getMessage() + "; earlier attempts: "
                    + String.join("; ", earlier), last.upstream().orElse(null));
        }
    }

    /**
     * The error object of an error answer: OpenAI's {@code {"error": {…}}}, a bare object, or Ollama's
     * {@code {"error": "…"}} as an object with that text as its message.
     */
    private static JsonNode errorOf(HttpClientResponse response) {
        try {
            JsonNode body = JSON.readTree(response.as(String.class));
            if (body != null && body.path("error").isTextual()) {
                return JSON.createObjectNode().put("message", body.get("error").asText());
            }
            return body == null ? JSON.createObjectNode() : body.path("error").isObject() ? body.get("error") : body;
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }

    private static long backoff(int attempt) {
        return RetryRules.backoff(attempt, ThreadLocalRandom.current().nextDouble());
    }

    /**
     * A failure that is not a {@linkplain NetworkFailure network failure} (an answer that is not HTTP
     * or not JSON, a stream that ended early), in this service's words: never the exception's message,
     * which is the HTTP client's or the parser's and may quote the request, nor its class.
     */
    private static String describe(Throwable e) {
        if (e instanceof StreamEndedEarly) {
            return e.getMessage();
        }
        return e instanceof JsonProcessingException ? "its answer is not JSON" : "its answer could not be read";
    }

    /**
     * {@code text} from OpenAI without this service's API key: a server in between (a proxy, a gateway)
     * may quote the key it refused, and the text goes to clients.
     */
    private String withoutKey(String text) {
        String key = settings.apiKey();
        return key.isEmpty() || !text.contains(key) ? text : text.replace(key, "***");
    }

    /**
     * One top-level string field of an event's JSON, read with the streaming parser and without
     * building a tree: text deltas are most of the events of an answer. Empty when absent.
     */
    public static String stringField(SseEvent event, String name) throws AnswerFailedException {
        try (JsonParser parser = JSON.getFactory().createParser(event.data())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new JsonParseException(parser, "not a JSON object");
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                boolean wanted = name.equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (wanted && value == JsonToken.VALUE_STRING) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
            return "";
        } catch (IOException e) {
            throw malformed(event, e);
        }
    }

    /** Parses one event's JSON; a malformed line fails the answer with a clear reason. */
    public static JsonNode json(SseEvent event) throws AnswerFailedException {
        try {
            return JSON.readTree(event.data());
        } catch (JsonProcessingException e) {
            throw malformed(event, e);
        }
    }

    /** The parser's message quotes the event, so it is logged and the client is told in words. */
    private static AnswerFailedException malformed(SseEvent event, IOException e) {
        LOG.fine(() -> "OpenAI sent an event that is not JSON (" + event.event() + "): " + e.getMessage());
        return new AnswerFailedException("The assistant sent a malformed answer",
                "OpenAI sent an event that is not JSON (" + AnswerFailedException.clipped(event.event()) + ")");
    }
}
