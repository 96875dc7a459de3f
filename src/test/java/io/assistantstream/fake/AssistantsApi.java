package io.assistantstream.fake;

import static io.assistantstream.fake.FakeOpenAi.JSON;
import static io.assistantstream.fake.FakeOpenAi.error;
import static io.assistantstream.fake.FakeOpenAi.newId;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.assistantstream.fake.FakeOpenAi.RecordedRequest;
import io.assistantstream.fake.FakeOpenAi.Reply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The Assistants API v2 of {@link FakeOpenAi}: assistants, threads, their messages and runs, in memory; see the
 * class javadoc there for the behaviour. State of one thread (its messages, runs and attempt counts, and each run's
 * object) is guarded by that thread's {@link ThreadState} monitor.
 */
final class AssistantsApi {
    /** How long a cancelled run stays {@code cancelling} before it is {@code cancelled}. */
    static final long CANCEL_MILLIS = 50;

    private static final Reply NO_BETA = new Reply(400, error("You must provide the 'OpenAI-Beta' header to access the "
            + "Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.", null,
            "invalid_beta"));

    private final Map<String, ObjectNode> assistants = new ConcurrentHashMap<>();
    private final Map<String, ThreadState> threads = new ConcurrentHashMap<>();
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private final AtomicInteger rejections = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();

    /** One run: its object and its pending tool round; guarded by its thread's monitor ({@link #lock}). */
    static final class Run {
        final Object lock;
        final ObjectNode json;
        final Script script;
        /** Close the socket once this many text deltas were sent, -1 = never. */
        final int cutAt;
        /** The tool_calls step awaiting outputs (status in_progress, tool_calls filled), or null. */
        ObjectNode toolStep;
        /** The ids of the tool calls awaiting outputs, in call order. */
        List<String> callIds = List.of();
        /** How many tool rounds the run asked for so far. */
        int rounds;
        private long cancelRequested;

        private Run(Object lock, ObjectNode json, Script script, int cutAt) {
            this.lock = lock;
            this.json = json;
            this.script = script;
            this.cutAt = cutAt;
        }

        String id() {
            return json.get("id").asText();
        }

        /**
         * Applies a change of its stream and returns a copy of the run object; or, when the run was cancelled
         * meanwhile, makes it {@code cancelled} at once and returns null (the change is not applied).
         */
        ObjectNode update(Consumer<Run> change) {
            synchronized (lock) {
                String status = status();
                if (status.equals("cancelling")) {
                    cancelled();
                } else if (!status.equals("cancelled")) {
                    change.accept(this);
                    return json.deepCopy();
                }
                return null;
            }
        }

        /** A copy of the run object. */
        ObjectNode snapshot() {
            synchronized (lock) {
                return json.deepCopy();
            }
        }

        private String status() {
            return json.get("status").asText();
        }

        private boolean active() {
            return Set.of("queued", "in_progress", "requires_action", "cancelling").contains(status());
        }

        /** Makes the run cancelled now. */
        void cancelled() {
            json.put("status", "cancelled").put("cancelled_at", RunStream.now()).putNull("expires_at")
                    .putNull("required_action");
        }
    }

    /** Whether a {@code /v1} path belongs to the Assistants API. */
    static boolean serves(String path) {
        return path.matches("/v1/(assistants|threads)(/.*)?");
    }

    /** Answers an Assistants request (key already checked): the JSON reply, or null when it streamed the answer. */
    Reply answer(HttpConnection http, RecordedRequest r, JsonNode body) throws IOException, InterruptedException {
        if (Arrays.stream(r.headers().getOrDefault("openai-beta", "").split(","))
                .noneMatch(beta -> beta.trim().equals("assistants=v2"))) {
            return NO_BETA;
        }
        String[] p = r.path().substring("/v1/".length()).split("/");
        // the method and the path with its ids (every second segment) as *, e.g. "POST threads/*/runs/*/cancel"
        String route = r.method() + " " + IntStream.range(0, p.length).mapToObj(i -> i % 2 == 1 ? "*" : p[i])
                .collect(Collectors.joining("/"));
        if (!route.contains(" threads/*")) {
            return switch (route) {
                case "POST assistants" -> createAssistant(body);
                case "GET assistants/*" -> {
                    ObjectNode assistant = assistant(p[1]);
                    yield assistant == null ? noAssistant(p[1]) : new Reply(200, assistant);
                }
                case "POST assistants/*" -> {
                    ObjectNode assistant = stored(p[1]);
                    yield assistant == null ? noAssistant(p[1]) : modifyAssistant(assistant, body);
                }
                case "POST threads" -> createThread(body);
                default -> FakeOpenAi.invalidUrl(r);
            };
        }
        ThreadState thread = forgotten.contains(p[1]) ? null : threads.get(p[1]);
        if (thread == null) {
            return notFound("thread", p[1]);
        }
        boolean namesRun = p.length > 3 && p[2].equals("runs");
        Run run;
        synchronized (thread) {
            thread.settle();
            run = namesRun ? thread.run(p[3]) : null;
        }
        if (namesRun && run == null) {
            return notFound("run", p[3]);
        }
        return switch (route) {
            case "GET threads/*" -> thread.reply(() -> thread.json);
            case "POST threads/*" -> modifyThread(thread, body);
            case "POST threads/*/messages" -> addMessage(thread, body);
            case "POST threads/*/runs" -> createRun(http, thread, body);
            case "GET threads/*/runs" -> listRuns(thread, r.parameters());
            case "GET threads/*/runs/*" -> thread.reply(() -> run.json);
            case "POST threads/*/runs/*/submit_tool_outputs" -> submit(http, thread, run, body);
            case "POST threads/*/runs/*/cancel" -> cancel(thread, run);
            default -> FakeOpenAi.invalidUrl(r);
        };
    }

    // ---- test hooks (see FakeOpenAi) ----

    void forget(String id) {
        forgotten.add(id);
    }

    Set<String> assistantIds() {
        return Set.copyOf(assistants.keySet());
    }

    Set<String> threadIds() {
        return Set.copyOf(threads.keySet());
    }

    JsonNode threadMetadata(String threadId) {
        ThreadState thread = known(threadId);
        synchronized (thread) {
            return thread.json.get("metadata").deepCopy();
        }
    }

    String orphanRun(String threadId) {
        ThreadState thread = known(threadId);
        synchronized (thread) {
            Run active = thread.active();
            if (active != null) {
                throw new IllegalStateException(threadId + " already has an active run " + active.id());
            }
            Run run = thread.newRun(newId("asst_"), JSON.createObjectNode().put("model", "gpt-4o"), Script.parse(""),
                    -1);
            run.json.put("status", "in_progress").put("started_at", RunStream.now());
            return run.id();
        }
    }

    Map<String, String> runs(String threadId) {
        ThreadState thread = known(threadId);
        synchronized (thread) {
            thread.settle();
            Map<String, String> runs = new LinkedHashMap<>();
            thread.runs.forEach(run -> runs.put(run.id(), run.status()));
            return Collections.unmodifiableMap(runs);
        }
    }

    int activeRunRejections() {
        return rejections.get();
    }

    int maxConcurrentRunsPerThread() {
        return maxConcurrent.get();
    }

    // ---- routes ----

    private Reply createAssistant(JsonNode body) {
        if (!body.path("model").isTextual()) {
            return missing("model");
        }
        Reply invalid = invalidAssistant(body);
        if (invalid != null) {
            return invalid;
        }
        ObjectNode assistant = JSON.createObjectNode().put("id", newId("asst_")).put("object", "assistant")
                .put("created_at", RunStream.now());
        assistant.set("name", body.path("name").isTextual() ? body.get("name") : null);
        assistant.putNull("description");
        assistant.set("model", body.get("model"));
        assistant.set("instructions", body.path("instructions").isTextual() ? body.get("instructions") : null);
        assistant.set("tools", body.path("tools").isArray() ? body.get("tools") : JSON.createArrayNode());
        assistant.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : JSON.createObjectNode());
        assistant.put("top_p", 1.0).put("temperature", 1.0).put("response_format", "auto");
        assistants.put(assistant.get("id").asText(), assistant);
        return new Reply(200, assistant);
    }

    /** Modifies, in place, what the body names of model, name, instructions, tools and metadata. */
    private static Reply modifyAssistant(ObjectNode assistant, JsonNode body) {
        Reply invalid = invalidAssistant(body);
        if (invalid != null) {
            return invalid;
        }
        synchronized (assistant) {
            for (String field : List.of("model", "name", "instructions", "tools", "metadata")) {
                if (body.has(field)) {
                    assistant.set(field, body.get(field));
                }
            }
            return new Reply(200, assistant.deepCopy());
        }
    }

    private static Reply invalidAssistant(JsonNode body) {
        Reply invalid = invalidTools(body.path("tools"));
        return invalid != null ? invalid : invalidMetadata(body.get("metadata"));
    }

    private Reply createThread(JsonNode body) {
        Reply invalid = invalidMetadata(body.get("metadata"));
        if (invalid != null) {
            return invalid;
        }
        ObjectNode json = JSON.createObjectNode().put("id", newId("thread_")).put("object", "thread")
                .put("created_at", RunStream.now());
        json.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : JSON.createObjectNode());
        json.putObject("tool_resources");
        ThreadState thread = new ThreadState(json);
        threads.put(thread.id, thread);
        return thread.reply(() -> thread.json);
    }

    private Reply modifyThread(ThreadState thread, JsonNode body) {
        synchronized (thread) {
            if (body.has("metadata")) {
                JsonNode changes = body.get("metadata");
                ObjectNode merged = thread.json.get("metadata").deepCopy();
                if (changes.isObject()) {
                    merged.setAll((ObjectNode) changes);
                }
                Reply invalid = invalidMetadata(changes.isObject() ? merged : changes);
                if (invalid != null) {
                    return invalid;
                }
                thread.json.set("metadata", merged);
            }
            return new Reply(200, thread.json.deepCopy());
        }
    }

    private Reply addMessage(ThreadState thread, JsonNode body) {
        String role = body.path("role").asText("");
        JsonNode content = body.path("content");
        if (!role.equals("user") && !role.equals("assistant")) {
            return new Reply(400, error(body.has("role") ? "Invalid value: '" + role + "'. Supported values are: "
                    + "'user' and 'assistant'." : "Missing required parameter: 'role'.", "role",
                    body.has("role") ? "invalid_value" : "missing_required_parameter"));
        } else if (!content.isTextual() && !content.isArray()) {
            return missing("content");
        }
        Reply invalid = invalidMetadata(body.get("metadata"));
        if (invalid != null) {
            return invalid;
        }
        ObjectNode message = JSON.createObjectNode().put("id", newId("msg_")).put("object", "thread.message")
                .put("created_at", RunStream.now()).putNull("assistant_id").put("thread_id", thread.id)
                .putNull("run_id").put("role", role);
        String text = content.isTextual() ? content.asText() : String.join(" ", content.findValuesAsText("text"));
        message.putArray("content").addObject().put("type", "text").putObject("text").put("value", text)
                .putArray("annotations");
        message.putArray("attachments");
        message.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : JSON.createObjectNode());
        synchronized (thread) {
            Run active = thread.active();
            if (active != null) {
                rejections.incrementAndGet();
                return new Reply(400, error("Can't add messages to " + thread.id + " while a run " + active.id()
                        + " is active.", null, null));
            }
            thread.messages.add(message);
            return new Reply(200, message.deepCopy());
        }
    }

    private Reply createRun(HttpConnection http, ThreadState thread, JsonNode body)
            throws IOException, InterruptedException {
        if (!body.path("assistant_id").isTextual()) {
            return missing("assistant_id");
        }
        String assistantId = body.get("assistant_id").asText();
        ObjectNode assistant = assistant(assistantId);
        Reply invalid = invalidTools(body.path("tools"));
        if (assistant == null) {
            return noAssistant(assistantId);
        } else if (invalid != null) {
            return invalid;
        } else if (!body.path("stream").asBoolean(false)) {
            return FakeOpenAi.ONLY_STREAMS;
        }
        Run run;
        synchronized (thread) {
            Run active = thread.active();
            // the active run plus this attempt (attempts on one thread are decided one at a time)
            maxConcurrent.accumulateAndGet(active == null ? 1 : 2, Math::max);
            if (active != null) {
                rejections.incrementAndGet();
                return new Reply(400, error("Thread " + thread.id + " already has an active run " + active.id() + ".",
                        null, null));
            }
            String text = thread.messages.reversed().stream()
                    .filter(m -> m.get("role").asText().equals("user")).findFirst()
                    .map(m -> m.at("/content/0/text/value").asText()).orElse("");
            int attempt = thread.attempts.merge(text, 1, Integer::sum);
            Script script = Script.parse(text);
            Reply failure = FakeOpenAi.failure(script, attempt);
            if (failure != null) {
                return failure;
            }
            for (String field : List.of("model", "instructions", "tools", "metadata")) {
                if (body.hasNonNull(field)) {
                    assistant.set(field, body.get(field)); // a copy: the request overrides the assistant's settings
                }
            }
            run = thread.newRun(assistantId, assistant, script, script.cutOn(attempt));
        }
        new RunStream(http, run).start();
        return null;
    }

    private Reply submit(HttpConnection http, ThreadState thread, Run run, JsonNode body)
            throws IOException, InterruptedException {
        ObjectNode step;
        List<String> outputs = new ArrayList<>();
        synchronized (thread) {
            if (!run.status().equals("requires_action")) {
                return new Reply(400, error("Runs in status \"" + run.status() + "\" do not accept tool outputs.",
                        null, null));
            }
            List<String> got = new ArrayList<>();
            Map<String, String> given = new HashMap<>();
            for (JsonNode output : body.path("tool_outputs")) {
                got.add(output.path("tool_call_id").asText());
                JsonNode value = output.path("output");
                given.put(got.getLast(), value.isTextual() ? value.asText() : value.toString());
            }
            if (got.size() != run.callIds.size() || !given.keySet().equals(new HashSet<>(run.callIds))) {
                return new Reply(400, error("Expected tool outputs for call_ids " + quoted(run.callIds) + ", got "
                        + quoted(got) + mismatch("missing", run.callIds, given.keySet())
                        + mismatch("unknown", got, new HashSet<>(run.callIds))
                        + ". All outputs must be submitted in a single request.", null, null));
            } else if (!body.path("stream").asBoolean(false)) {
                return FakeOpenAi.ONLY_STREAMS;
            }
            step = run.toolStep;
            for (JsonNode call : step.at("/step_details/tool_calls")) {
                outputs.add(given.get(call.get("id").asText()));
                ((ObjectNode) call.get("function")).put("output", outputs.getLast());
            }
            step.put("status", "completed").put("completed_at", RunStream.now()).set("usage", run.json.get("usage"));
            run.json.put("status", "queued").putNull("required_action").putNull("usage");
            run.toolStep = null;
            run.callIds = List.of();
        }
        new RunStream(http, run).resume(step, outputs);
        return null;
    }

    private Reply cancel(ThreadState thread, Run run) {
        synchronized (thread) {
            String status = run.status();
            if (!Set.of("queued", "in_progress", "requires_action").contains(status)) {
                return new Reply(400, error("Cannot cancel run with status '" + status + "'.", null, null));
            }
            run.json.put("status", "cancelling");
            run.cancelRequested = System.nanoTime();
            return new Reply(200, run.json.deepCopy());
        }
    }

    private Reply listRuns(ThreadState thread, Map<String, String> query) {
        String order = query.getOrDefault("order", "desc");
        int limit;
        try {
            limit = Integer.parseInt(query.getOrDefault("limit", "20"));
        } catch (NumberFormatException e) {
            limit = 0;
        }
        if (limit < 1 || limit > 100) {
            return new Reply(400, error("Invalid 'limit': expected an integer from 1 to 100, got '"
                    + query.get("limit") + "'.", "limit", "invalid_value"));
        } else if (!order.equals("asc") && !order.equals("desc")) {
            return new Reply(400, error("Invalid value: '" + order + "'. Supported values are: 'asc' and 'desc'.",
                    "order", "invalid_value"));
        }
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        synchronized (thread) {
            List<Run> runs = order.equals("asc") ? thread.runs : thread.runs.reversed();
            runs.stream().limit(limit).forEach(run -> data.add(run.json.deepCopy()));
            list.set("first_id", data.isEmpty() ? null : data.get(0).get("id"));
            list.set("last_id", data.isEmpty() ? null : data.get(data.size() - 1).get("id"));
            list.put("has_more", runs.size() > limit);
        }
        return new Reply(200, list);
    }

    // ---- helpers ----

    /** A copy of the assistant, or null when it does not exist (or was forgotten). */
    private ObjectNode assistant(String id) {
        ObjectNode assistant = stored(id);
        if (assistant == null) {
            return null;
        }
        synchronized (assistant) {
            return assistant.deepCopy();
        }
    }

    /** The stored assistant itself (guarded by itself), or null. */
    private ObjectNode stored(String id) {
        return forgotten.contains(id) ? null : assistants.get(id);
    }

    private ThreadState known(String threadId) {
        ThreadState thread = threads.get(threadId);
        if (thread == null) {
            throw new IllegalArgumentException("no thread " + threadId + " was created");
        }
        return thread;
    }

    private static Reply noAssistant(String id) {
        return notFound("assistant", id);
    }

    private static Reply notFound(String kind, String id) {
        return new Reply(404, error("No " + kind + " found with id '" + id + "'.", null, null));
    }

    private static Reply missing(String param) {
        return new Reply(400, error("Missing required parameter: '" + param + "'.", param,
                "missing_required_parameter"));
    }

    /** A 400 for a function tool in the flat Responses shape (no {@code function} object), or null. */
    private static Reply invalidTools(JsonNode tools) {
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            if (tool.path("type").asText().equals("function") && !tool.path("function").isObject()) {
                return missing("tools[" + i + "].function");
            } else if (tool.has("function") && !tool.path("function").path("name").isTextual()) {
                return missing("tools[" + i + "].function.name");
            }
        }
        return null;
    }

    /** A 400 for metadata beyond OpenAI's limits (16 pairs, keys ≤ 64, string values ≤ 512), or null. */
    private static Reply invalidMetadata(JsonNode metadata) {
        String problem = null;
        String code = null;
        if (metadata == null || metadata.isNull()) {
            return null;
        } else if (!metadata.isObject()) {
            problem = "Invalid type for 'metadata': expected an object, but got " + typeName(metadata) + " instead.";
            code = "invalid_type";
        } else if (metadata.size() > 16) {
            problem = "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but "
                    + "got an object with " + metadata.size() + " properties instead.";
            code = "object_above_max_properties";
        } else {
            for (Map.Entry<String, JsonNode> pair : metadata.properties()) {
                String key = pair.getKey();
                JsonNode value = pair.getValue();
                if (key.length() > 64) {
                    problem = "Invalid property name in 'metadata': '" + key + "' is too long. Expected a string "
                            + "with maximum length 64, but got a string with length " + key.length() + " instead.";
                    code = "property_name_above_max_length";
                } else if (!value.isTextual()) {
                    problem = "Invalid type for 'metadata." + key + "': expected a string, but got "
                            + typeName(value) + " instead.";
                    code = "invalid_type";
                } else if (value.asText().length() > 512) {
                    problem = "Invalid 'metadata." + key + "': string too long. Expected a string with maximum "
                            + "length 512, but got a string with length " + value.asText().length() + " instead.";
                    code = "string_above_max_length";
                }
                if (problem != null) {
                    break;
                }
            }
        }
        return problem == null ? null : new Reply(400, error(problem, "metadata", code));
    }

    private static String typeName(JsonNode node) {
        return node.isIntegralNumber() ? "an integer" : node.isNumber() ? "a number" : node.isBoolean() ? "a boolean"
                : node.isArray() ? "an array" : node.isObject() ? "an object" : node.isNull() ? "null" : "a string";
    }

    private static String quoted(List<String> ids) {
        return ids.stream().map(id -> "'" + id + "'").collect(Collectors.joining(", ", "[", "]"));
    }

    /** {@code " (missing ['a'])"}: the ids of {@code ids} not in {@code others}, or "" when there are none. */
    private static String mismatch(String what, List<String> ids, Set<String> others) {
        List<String> odd = ids.stream().filter(id -> !others.contains(id)).distinct().toList();
        return odd.isEmpty() ? "" : " (" + what + " " + quoted(odd) + ")";
    }

    /** State of one thread; guarded by itself (including its runs' state). */
    private static final class ThreadState {
        final String id;
        final ObjectNode json;
        final List<ObjectNode> messages = new ArrayList<>();
        final List<Run> runs = new ArrayList<>();
        final Map<String, Integer> attempts = new HashMap<>();

        ThreadState(ObjectNode json) {
            this.id = json.get("id").asText();
            this.json = json;
        }

        /** A 200 reply with a copy of some of this thread's state, taken under its lock. */
        synchronized Reply reply(Supplier<ObjectNode> state) {
            return new Reply(200, state.get().deepCopy());
        }

        /** Turns runs cancelling for {@link #CANCEL_MILLIS} into cancelled. */
        void settle() {
            long now = System.nanoTime();
            for (Run run : runs) {
                if (run.status().equals("cancelling")
                        && now - run.cancelRequested >= TimeUnit.MILLISECONDS.toNanos(CANCEL_MILLIS)) {
                    run.cancelled();
                }
            }
        }

        /** The run with this id, or null. */
        Run run(String runId) {
            return runs.stream().filter(run -> run.id().equals(runId)).findFirst().orElse(null);
        }

        /** The active run (after settling cancellations), or null. */
        Run active() {
            settle();
            return runs.stream().filter(Run::active).findFirst().orElse(null);
        }

        /**
         * Adds a queued run built from the transcripts' {@code thread.run.created} object.
         *
         * @param settings the assistant's model, instructions, tools and metadata, as overridden by the request
         */
        Run newRun(String assistantId, ObjectNode settings, Script script, int cutAt) {
            long now = RunStream.now();
            ObjectNode json = Transcripts.template("thread.run.created", 0).put("id", newId("run_"))
                    .put("created_at", now).put("assistant_id", assistantId).put("thread_id", id)
                    .put("status", "queued").put("expires_at", now + 600);
            json.set("model", settings.get("model"));
            json.set("instructions", settings.get("instructions"));
            json.set("tools", settings.path("tools").isArray() ? settings.get("tools") : JSON.createArrayNode());
            json.set("metadata", settings.path("metadata").isObject() ? settings.get("metadata")
                    : JSON.createObjectNode());
            Run run = new Run(this, json, script, cutAt);
            runs.add(run);
            return run;
        }
    }
}
