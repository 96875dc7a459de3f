package io.assistantstream.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A fake OpenAI (Responses + Conversations, Assistants API v2 and Chat Completions, under {@code /v1}) and
 * OpenWeather (geocoding +
 * current weather, at the root) HTTP/1.1 server on 127.0.0.1 for tests, speaking the wire protocol of the saved
 * transcripts.
 *
 * <p>A streamed {@code POST /v1/responses} answer is scripted by {@code !directives} in the user text (the
 * {@code input} string, or the text of message items in an {@code input} array); the remaining words are the
 * prompt and the reply is {@code "Echo: " + prompt}, one delta per word with its trailing space. Directives:
 * {@code !delay=MS} before each delta; {@code !words=N} reply {@code w1 … wN}; {@code !stall=MS} silence after
 * in_progress; {@code !fail=STATUSxK} / {@code !fail=429msxK} the first K attempts answer STATUS;
 * {@code !quota} always 429 insufficient_quota; {@code !cut=N} close the socket once N deltas were sent, on the
 * first attempt that streams only (attempt K+1 with {@code !fail}); {@code !cutalways=N} on every attempt;
 * {@code !failed}, {@code !incomplete}, {@code !errorevent}, {@code !malformed} end early (the last three after
 * half the deltas; {@code !malformed} with an event whose data is cut-off JSON);
 * {@code !done} appends {@code data: [DONE]}; {@code !stamp} makes each text delta the time it is written
 * ({@code "<epoch microseconds> "}), so a client can measure relay latency; {@code !tool=CITY} /
 * {@code !tools=A,B} stream get_weather calls; {@code !call=NAME[,NAME2]} streams calls of any function, each with
 * the arguments {@code !args=JSON} (default {@code {}}; Assistants runs too); {@code !hosted=TOOL[,TOOL2]}
 * ({@code web_search}, {@code file_search}, {@code mcp}) streams that hosted tool's recorded events verbatim
 * before the text, and the recorded text annotations after its first delta.
 * An {@code input} array of {@code function_call_output} items answers {@code "Tool said: "} + outputs joined
 * by {@code " | "} in call order. Attempts are counted per conversation and exact {@code input} (the string, or
 * the JSON text of an array), counting only requests that passed the key, conversation and lock checks. The
 * conversation is released just before the terminal event (or cut) is written, so an immediate follow-up or
 * retry is never locked out.
 *
 * <p>Assistants API v2 (in {@link AssistantsApi}; every {@code /v1/assistants*} and {@code /v1/threads*} request
 * needs {@code OpenAI-Beta: assistants=v2}, checked after the key, else 400 invalid_beta): {@code POST /assistants}
 * (function tools in the Assistants nesting {@code {"type":"function","function":{…}}}), {@code GET
 * /assistants/{id}}, {@code POST /threads}, {@code GET /threads/{t}}, {@code POST /threads/{t}} (merges
 * {@code metadata}; at most 16 pairs, keys ≤ 64 characters, string values ≤ 512), {@code POST /threads/{t}/messages},
 * {@code POST /threads/{t}/runs}, {@code GET /threads/{t}/runs} ({@code limit} 1–100, default 20; {@code order},
 * default desc), {@code GET /threads/{t}/runs/{r}}, {@code POST …/runs/{r}/submit_tool_outputs} and
 * {@code POST …/runs/{r}/cancel}; unknown ids get OpenAI's 404s. Runs and tool output submissions only stream; each
 * event's data is the matching object of the transcripts in {@code /fixtures/assistants-*.replayable.txt} with this
 * run's values, and every stream ends with {@code event: done} / {@code data: [DONE]} ({@code !done} is moot). A run
 * is scripted by the text of its thread's last user message, with the directives above: it answers
 * {@code "Echo: " + prompt} (or {@code !words=N}) and completes; {@code !tool=CITY} / {@code !tools=A,B} end the
 * stream at {@code thread.run.requires_action}, and the run waits for exactly those call ids in one
 * submit_tool_outputs, whose stream answers {@code "Tool said: "} + the outputs joined by {@code " | "} in call order;
 * {@code !rounds=N} (default 1) asks for the tools N times in a row, with new call ids each round, before answering;
 * {@code !failed}, {@code !expired}, {@code !cancelled} end the run after in_progress (and any stall) with
 * thread.run.failed / .expired / .cancelled; {@code !incomplete} ends it with thread.message.incomplete and
 * thread.run.incomplete, {@code !errorevent} with an {@code error} event (the run is then failed), both after half
 * the deltas; {@code !cut=N} / {@code !cutalways=N} count text deltas only (0: right after in_progress) and leave
 * the run {@code in_progress}, active until cancelled, like a run whose client vanished. {@code !fail} /
 * {@code !quota} answer run creation attempts, counted per thread and exact message text (only attempts that passed
 * the assistant, stream and active-run checks). While a run is queued, in_progress, requires_action or cancelling,
 * new messages and runs on its thread get 400. Cancel makes a queued, in_progress or requires_action run
 * {@code cancelling} (any other status: 400); it becomes {@code cancelled} {@value AssistantsApi#CANCEL_MILLIS} ms
 * later, as seen by any later request on the thread (or hook), or at once when a stream still open on it reaches its
 * next event, which is then {@code thread.run.cancelled} + done.
 *
 * <p>Chat Completions ({@code POST /v1/chat/completions}, stateless, streamed only) is in {@link ChatCompletions},
 * its chunks and the server quirks it can play ({@code !quirk=…}) in {@link ChatStream}.
 */
public final class FakeOpenAi implements AutoCloseable {
    /** The bearer token every {@code /v1} request must carry. */
    public static final String API_KEY = "sk-test-fake";
    /** The {@code appid} every OpenWeather request must carry. */
    public static final String WEATHER_KEY = "ow-test-fake";

    static final ObjectMapper JSON = new ObjectMapper();
    /** The answer to a non-streamed request this fake only streams. */
    static final Reply ONLY_STREAMS = new Reply(400, error("This fake only streams: set \"stream\": true.", "stream",
            null));
    private static final Reply QUOTA = new Reply(429, error("You exceeded your current quota, please check your plan "
            + "and billing details. For more information on this error, read the docs: "
            + "https://platform.openai.com/docs/guides/error-codes/api-errors.", "insufficient_quota", null,
            "insufficient_quota"));
    private static final System.Logger LOG = System.getLogger(FakeOpenAi.class.getName());

    private final ServerSocket server;
    private final JsonNode weatherFixture;
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final boolean recording;
    private final Map<String, Conversation> conversations = new ConcurrentHashMap<>();
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private final Conversation stateless = new Conversation(null, null);
    private final AssistantsApi assistants = new AssistantsApi();
    private final ChatCompletions chat = new ChatCompletions();
    private final Map<Socket, Thread> open = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger locked = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private volatile boolean closed;

    /** One request as the fake received it. Header names are lower-case; {@code query} is raw ("" if none). */
    public record RecordedRequest(String method, String path, String query, Map<String, String> headers,
                                  String body) {
        public RecordedRequest {
            headers = Map.copyOf(headers);
        }

        /** The body parsed as JSON; throws if it is not JSON. */
        public JsonNode json() {
            try {
                if (body.isBlank()) {
                    throw new IllegalStateException("empty body is not JSON");
                }
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The query parameters, URL-decoded ("" for a name without value; the last one wins). */
        public Map<String, String> parameters() {
            Map<String, String> parameters = new HashMap<>();
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (!pair.isEmpty()) {
                    parameters.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            return parameters;
        }
    }

    /** A JSON reply (instead of, or before, a stream). */
    record Reply(int status, JsonNode body, Map<String, String> headers) {
        Reply(int status, JsonNode body) {
            this(status, body, Map.of());
        }
    }

    private FakeOpenAi(ServerSocket server, JsonNode weatherFixture, boolean recording) {
        this.server = server;
        this.weatherFixture = weatherFixture;
        this.recording = recording;
    }

    /** Binds 127.0.0.1 on a free port and starts accepting connections. */
    public static FakeOpenAi start() {
        return start(0, true);
    }

    /**
     * Binds 127.0.0.1 on {@code port} (0: any free one).
     *
     * @param recording keep every request for {@link #requests()}; a benchmark turns it off
     */
    public static FakeOpenAi start(int port, boolean recording) {
        try (InputStream fixture = FakeOpenAi.class.getResourceAsStream("/fixtures/openweather-current-zocca.json")) {
            if (fixture == null) {
                throw new IllegalStateException("missing /fixtures/openweather-current-zocca.json");
            }
            FakeOpenAi fake = new FakeOpenAi(new ServerSocket(port, 4096, InetAddress.getByName("127.0.0.1")),
                    JSON.readTree(fixture), recording);
            Thread.ofVirtual().name("fake-openai-accept").start(fake::acceptLoop);
            return fake;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The OpenAI base URL, like {@code https://api.openai.com/v1}. */
    public String baseUrl() {
        return weatherBaseUrl() + "/v1";
    }

    /** The OpenWeather base URL, like {@code https://api.openweathermap.org}. */
    public String weatherBaseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** The bound port. */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * Runs the fake in a process of its own (for the benchmark): {@code FakeOpenAi [PORT]}; prints
     * {@code listening PORT} once it accepts connections and runs until killed. Requests are not recorded.
     */
    public static void main(String[] args) throws InterruptedException {
        FakeOpenAi fake = start(args.length > 0 ? Integer.parseInt(args[0]) : 0, false);
        System.out.println("listening " + fake.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** All requests so far, in arrival order (a copy). */
    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** TCP connections accepted so far. */
    public int connectionsAccepted() {
        return connections.get();
    }

    /** How many 400 conversation_locked answers were sent. */
    public int conversationLockedCount() {
        return locked.get();
    }

    /**
     * The highest number of {@code POST /v1/responses} requests in progress at once on one conversation, counting
     * the open stream and any request rejected as conversation_locked meanwhile (a well-behaved client stays at 1).
     */
    public int maxConcurrentResponsesPerConversation() {
        return maxConcurrent.get();
    }

    /** Makes later requests naming this conversation get 404, as if it expired upstream. */
    public void forgetConversation(String id) {
        forgotten.add(id);
    }

    /** Ids of all conversations created so far (including forgotten ones). */
    public Set<String> conversations() {
        return Set.copyOf(conversations.keySet());
    }

    /** Makes later requests naming this assistant get 404, as if it was deleted upstream. */
    public void forgetAssistant(String id) {
        assistants.forget(id);
    }

    /** Ids of all assistants created so far (including forgotten ones). */
    public Set<String> assistants() {
        return assistants.assistantIds();
    }

    /** Makes later requests naming this thread get 404, as if it was deleted upstream. */
    public void forgetThread(String id) {
        assistants.forget(id);
    }

    /** Ids of all threads created so far (including forgotten ones). */
    public Set<String> threads() {
        return assistants.threadIds();
    }

    /**
     * A copy of a thread's metadata as it stands.
     *
     * @throws IllegalArgumentException if no such thread was created
     */
    public JsonNode threadMetadata(String threadId) {
        return assistants.threadMetadata(threadId);
    }

    /**
     * Leaves an {@code in_progress} run on the thread, as a worker that crashed mid-run would (it names a made-up
     * assistant and has no stream); it stays active until cancelled.
     *
     * @return the run's id
     * @throws IllegalArgumentException if no such thread was created
     * @throws IllegalStateException    if the thread already has an active run
     */
    public String orphanRun(String threadId) {
        return assistants.orphanRun(threadId);
    }

    /**
     * The runs of a thread, oldest first: run id to status (after turning due {@code cancelling} runs into
     * {@code cancelled}).
     *
     * @throws IllegalArgumentException if no such thread was created
     */
    public Map<String, String> runs(String threadId) {
        return assistants.runs(threadId);
    }

    /** How many 400 active-run answers were sent (to message and to run creation requests). */
    public int activeRunRejections() {
        return assistants.activeRunRejections();
    }

    /**
     * The highest number of runs active at once on one thread plus run creation attempts rejected meanwhile (as
     * attempts are decided one at a time, 2 once any attempt met an active run); a well-behaved client stays at 1.
     */
    public int maxConcurrentRunsPerThread() {
        return assistants.maxConcurrentRunsPerThread();
    }

    /** Stops accepting, closes every open connection and interrupts its handler (ending sleeps and stalls). */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        open.forEach((socket, thread) -> {
            closeQuietly(socket);
            thread.interrupt();
        });
    }

    static String newId(String prefix) {
        byte[] bytes = new byte[12];
        ThreadLocalRandom.current().nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                connections.incrementAndGet();
                Thread thread = Thread.ofVirtual().name("fake-openai-connection").unstarted(() -> serve(socket));
                open.put(socket, thread);
                thread.start();
                if (closed) {
                    closeQuietly(socket);
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "fake accept failed", e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (HttpConnection http = new HttpConnection(socket)) {
            for (RecordedRequest request; !closed && (request = http.read()) != null; ) {
                if (recording) {
                    synchronized (requests) {
                        requests.add(request);
                    }
                }
                route(http, request);
                if ("close".equalsIgnoreCase(request.headers().get("connection"))) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, a scripted cut, or close(): the connection simply ends
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "fake server bug", e);
        } finally {
            open.remove(socket);
        }
    }

    private void route(HttpConnection http, RecordedRequest r) throws IOException, InterruptedException {
        boolean openAi = r.path().startsWith("/v1/");
        Reply reply = openAi ? openAi(http, r) : weather(r);
        if (reply != null) {
            http.send(reply.status(), "application/json", openAi ? openAiHeaders(reply.headers()) : reply.headers(),
                    JSON.writeValueAsBytes(reply.body()));
        }
    }

    /** Answers a {@code /v1} request: returns the JSON reply, or null when it streamed the answer itself. */
    private Reply openAi(HttpConnection http, RecordedRequest r) throws IOException, InterruptedException {
        if (!("Bearer " + API_KEY).equals(r.headers().get("authorization"))
                && !API_KEY.equals(r.headers().get("api-key"))) { // Azure OpenAI's header takes the key alone
            String key = r.headers().getOrDefault("authorization", "").replaceFirst("^Bearer\\s*", "");
            String masked = key.length() > 8 ? key.substring(0, 3) + "*".repeat(key.length() - 7)
                    + key.substring(key.length() - 4) : key;
            return new Reply(401, error("Incorrect API key provided: " + masked + ". You can find your API key at "
                    + "https://platform.openai.com/account/api-keys.", null, "invalid_api_key"));
        }
        JsonNode body;
        try {
            body = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            return new Reply(400, error("We could not parse the JSON body of your request.", null, null));
        }
        if (AssistantsApi.serves(r.path())) {
            return assistants.answer(http, r, body);
        }
        String route = r.method() + " " + r.path();
        if (route.equals("POST /v1/conversations")) {
            String id = newId("conv_");
            ObjectNode conversation = JSON.createObjectNode().put("id", id).put("object", "conversation")
                    .put("created_at", System.currentTimeMillis() / 1000);
            conversation.set("metadata", body.path("metadata").isObject() ? body.get("metadata")
                    : JSON.createObjectNode());
            conversations.put(id, new Conversation(id, conversation));
            return new Reply(200, conversation);
        } else if (route.equals("POST /v1/responses")) {
            return responses(http, body);
        } else if (route.equals("POST /v1/chat/completions")) {
            return chat.answer(http, body);
        } else if (route.startsWith("GET /v1/conversations/") && r.path().indexOf('/', 18) < 0) {
            Conversation conversation = live(r.path().substring(18));
            return conversation == null ? notFound(r.path().substring(18)) : new Reply(200, conversation.json);
        }
        return invalidUrl(r);
    }

    private Reply responses(HttpConnection http, JsonNode body) throws IOException, InterruptedException {
        JsonNode named = body.path("conversation");
        String id = named.isObject() ? named.path("id").asText(null) : named.isTextual() ? named.asText() : null;
        Conversation conversation = id == null ? stateless : live(id);
        if (conversation == null) {
            return notFound(id);
        } else if (!body.path("stream").asBoolean(false)) {
            return ONLY_STREAMS;
        }
        boolean mine;
        synchronized (conversation) {
            conversation.inFlight++;
            if (conversation.id != null) {
                maxConcurrent.accumulateAndGet(conversation.inFlight, Math::max);
            }
            mine = conversation.id == null || !conversation.streaming;
            conversation.streaming |= mine;
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                synchronized (conversation) {
                    conversation.inFlight--;
                    conversation.streaming &= !mine;
                }
            }
        };
        try {
            if (!mine) {
                locked.incrementAndGet();
                return new Reply(400, error("Another process is currently operating on this conversation. Please "
                        + "retry in a few seconds.", "conversation", "conversation_locked"));
            }
            return answer(http, body, conversation, release);
        } finally {
            release.run(); // before the caller writes a JSON reply, so an immediate retry finds the conversation free
        }
    }

    /** Streams the scripted answer (returning null), or returns the error reply to send instead. */
    private Reply answer(HttpConnection http, JsonNode body, Conversation conversation, Runnable release)
            throws IOException, InterruptedException {
        JsonNode input = body.path("input");
        StringBuilder text = new StringBuilder(input.isTextual() ? input.asText() : "");
        List<Map.Entry<String, String>> outputs = new ArrayList<>();
        for (JsonNode item : input.isArray() ? input : JSON.createArrayNode()) {
            if (item.path("type").asText().equals("function_call_output")) {
                String callId = item.path("call_id").asText();
                if (conversation.callOrder(callId) < 0) {
                    return new Reply(400, error("No tool call found for function call output with call_id "
                            + callId + ".", "input", null));
                }
                JsonNode output = item.path("output");
                outputs.add(Map.entry(callId, output.isTextual() ? output.asText() : output.toString()));
            } else {
                JsonNode content = item.path("content");
                text.append(' ').append(content.isTextual() ? content.asText()
                        : String.join(" ", content.findValuesAsText("text")));
            }
        }
        int attempt = conversation.attempt(input.isTextual() ? input.asText() : input.toString());
        Script script = Script.parse(text.toString());
        Reply failure = failure(script, attempt);
        if (failure != null) {
            return failure;
        }
        ResponseStream stream = new ResponseStream(http, newResponse(body, conversation.id), script,
                script.cutOn(attempt), release);
        http.startStream(openAiHeaders(Map.of()));
        if (!script.toolCalls().isEmpty()) {
            List<ResponseStream.ToolCall> calls = script.toolCalls().stream()
                    .map(call -> new ResponseStream.ToolCall(newId("fc_"), newId("call_"), call)).toList();
            conversation.issue(calls);
            stream.tools(calls);
        } else if (!outputs.isEmpty()) {
            outputs.sort(Comparator.comparingInt(e -> conversation.callOrder(e.getKey())));
            stream.text("Tool said: " + outputs.stream().map(Map.Entry::getValue).collect(Collectors.joining(" | ")));
        } else {
            stream.text(script.reply());
        }
        return null;
    }

    private Reply weather(RecordedRequest r) throws InterruptedException {
        Map<String, String> query = r.parameters();
        Reply nothing = new Reply(400, JSON.createObjectNode().put("cod", "400").put("message", "Nothing to geocode"));
        String city = query.getOrDefault("q", "").split(",")[0].trim();
        if (!r.path().equals("/geo/1.0/direct") && !r.path().equals("/data/2.5/weather")) {
            return new Reply(404, JSON.createObjectNode().put("cod", "404").put("message", "Not found"));
        } else if (!WEATHER_KEY.equals(query.get("appid"))) {
            return new Reply(401, JSON.createObjectNode().put("cod", 401).put("message",
                    "Invalid API key. Please see https://openweathermap.org/faq#error401 for more info."));
        } else if (r.path().equals("/data/2.5/weather")) {
            return query.containsKey("lat") && query.containsKey("lon") ? new Reply(200, weatherFixture) : nothing;
        } else if (city.isEmpty()) {
            return nothing;
        } else if (city.equalsIgnoreCase("Nowhere")) {
            return new Reply(200, JSON.createArrayNode());
        } else if (city.equalsIgnoreCase("Slowville")) {
            Thread.sleep(10_000);
        }
        ArrayNode places = JSON.createArrayNode();
        places.addObject().put("name", city).put("lat", 44.34).put("lon", 10.99).put("country", "IT");
        return new Reply(200, places);
    }

    private Conversation live(String id) {
        return forgotten.contains(id) ? null : conversations.get(id);
    }

    private static Reply notFound(String conversationId) {
        return new Reply(404, error("Conversation with id '" + conversationId + "' not found.", "conversation", null));
    }

    /** The 404 for a route this fake does not know. */
    static Reply invalidUrl(RecordedRequest r) {
        return new Reply(404, error("Invalid URL (" + r.method() + " " + r.path() + ")", null, null));
    }

    /** The error reply a request's attempt (1-based) answers for {@code !quota} / {@code !fail=…}, or null. */
    static Reply failure(Script script, int attempt) {
        return script.has("quota") ? QUOTA : failure(script.failStatusOn(attempt), script.retryAfterMs());
    }

    /** The reply for {@code !fail=STATUS…}, or null for status 0. */
    private static Reply failure(int status, boolean retryAfterMs) {
        return switch (status) {
            case 0 -> null;
            case 429 -> new Reply(429, error("Rate limit reached for requests. Please try again in 1s.", "requests",
                    null, "rate_limit_exceeded"),
                    retryAfterMs ? Map.of("retry-after-ms", "200") : Map.of("Retry-After", "1"));
            case 503 -> new Reply(503, error("The engine is currently overloaded, please try again later.",
                    "service_unavailable_error", null, "server_is_overloaded"));
            case 408 -> new Reply(408, error("Request timed out.", "timeout_error", null, "timeout"));
            case 409 -> new Reply(409, error("The request conflicted with another request. Please retry.", null,
                    "conflict"));
            default -> new Reply(status, error("The server had an error while processing your request.",
                    "server_error", null, null));
        };
    }

    private static ObjectNode newResponse(JsonNode request, String conversationId) {
        ObjectNode r = JSON.createObjectNode().put("id", newId("resp_")).put("object", "response")
                .put("created_at", System.currentTimeMillis() / 1000).put("status", "in_progress");
        r.putNull("error");
        r.putNull("incomplete_details");
        r.set("instructions", request.get("instructions"));
        r.putNull("max_output_tokens");
        r.set("model", request.get("model"));
        r.putArray("output");
        r.put("parallel_tool_calls", true).putNull("previous_response_id");
        r.putObject("reasoning").putNull("effort").putNull("summary");
        r.put("store", true).put("temperature", 1.0);
        r.putObject("text").putObject("format").put("type", "text");
        r.put("tool_choice", "auto");
        r.set("tools", request.path("tools").isArray() ? request.get("tools") : JSON.createArrayNode());
        r.put("top_p", 1.0).put("truncation", "disabled").putNull("usage");
        r.putNull("user");
        r.putObject("metadata");
        r.set("conversation", conversationId == null ? null : JSON.createObjectNode().put("id", conversationId));
        return r;
    }

    static ObjectNode error(String message, String param, String code) {
        return error(message, "invalid_request_error", param, code);
    }

    static ObjectNode error(String message, String type, String param, String code) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).put("param", param).put("code", code);
        return body;
    }

    static Map<String, String> openAiHeaders(Map<String, String> extra) {
        Map<String, String> headers = new LinkedHashMap<>(extra);
        headers.put("x-request-id", newId("req_"));
        headers.put("openai-processing-ms", String.valueOf(ThreadLocalRandom.current().nextInt(20, 400)));
        return headers;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    /** State of one conversation (or of all conversation-less requests, with a null id); guarded by itself. */
    private static final class Conversation {
        final String id;
        final ObjectNode json;
        final List<String> callIds = new ArrayList<>();
        final Map<String, Integer> attempts = new HashMap<>();
        int inFlight;
        boolean streaming;

        Conversation(String id, ObjectNode json) {
            this.id = id;
            this.json = json;
        }

        synchronized int attempt(String input) {
            return attempts.merge(input, 1, Integer::sum);
        }

        synchronized void issue(List<ResponseStream.ToolCall> calls) {
            calls.forEach(call -> callIds.add(call.callId()));
        }

        synchronized int callOrder(String callId) {
            return callIds.indexOf(callId);
        }
    }
}
