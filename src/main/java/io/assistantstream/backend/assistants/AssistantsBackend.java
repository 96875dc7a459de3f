package io.assistantstream.backend.assistants;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.ConversationNotFoundException;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.store.AssistantIdStore;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolResult;

/**
 * The seed's flow: OpenAI Assistants v2 ({@code OpenAI-Beta: assistants=v2}), for servers that still
 * speak it. One assistant for the whole service, its id in Redis; a thread per channel; each answer
 * adds the user's message and streams a run, and while the run requires tool outputs they are
 * submitted with {@code stream: true}, which streams the rest of the same run.
 *
 * <p>A thread holds one active run at a time. The channel lease keeps this service from ever
 * starting two; a run left active by a worker that died (or by a stream that broke) is cancelled
 * and the request made again.
 */
public final class AssistantsBackend implements AssistantBackend {
    private static final Logger LOG = Logger.getLogger(AssistantsBackend.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The id of the run OpenAI names when it refuses a request because that run is active. */
    private static final Pattern ACTIVE_RUN = Pattern.compile("\\b(run_[A-Za-z0-9]+)\\b.*\\bactive\\b"
            + "|\\bactive run (run_[A-Za-z0-9]+)\\b");
    /** How often a request that finds the thread busy cancels the run holding it and tries again. */
    private static final int RUN_CLEARINGS = 3;
    private static final Duration CANCEL_POLL = Duration.ofMillis(100);
    /** Time for cancelling the run of an answer that failed (its own deadline may be what ran out). */
    private static final Duration ABANDON_BUDGET = Duration.ofSeconds(10);
    /** OpenAI's limit on a metadata value. */
    private static final int METADATA_VALUE_CHARS = 512;

    private final OpenAiClient openAi;
    private final ToolRounds rounds;
    private final AssistantIdStore ids;
    private final ObjectNode assistant;
    private final ReentrantLock replacing = new ReentrantLock();
    private volatile String assistantId;

    /**
     * @param openAi the shared client; this backend adds the {@code OpenAI-Beta} header
     * @param model  the model, name and instructions the assistant is created (or updated) with
     */
    public AssistantsBackend(OpenAiClient openAi, ToolRounds rounds, AssistantIdStore ids, String model,
                             String name, String instructions) {
        this.openAi = openAi.withHeader("OpenAI-Beta", "assistants=v2");
        this.rounds = rounds;
        this.ids = ids;
        this.assistant = JSON.createObjectNode().put("model", model).put("name", name)
                .put("instructions", instructions.isBlank() ? null : instructions);
        assistant.set("tools", rounds.definitions(true));
    }

    /**
     * Makes sure the assistant exists as configured: the stored one if OpenAI still has it (its
     * model, name, instructions and tools updated where the settings changed), else a new one,
     * stored for every instance. Call once before the first answer.
     */
    public void start(Deadline deadline) throws AnswerFailedException, InterruptedException {
        Optional<String> stored = ids.get();
        Optional<JsonNode> found = stored.isPresent() ? lookUp(stored.get(), deadline) : Optional.empty();
        if (found.isPresent()) {
            assistantId = stored.get();
            updateIfChanged(found.get(), deadline);
            return;
        }
        stored.ifPresent(id -> LOG.warning("The stored assistant " + id + " does not exist upstream: creating a new one"));
        assistantId = created(stored, deadline);
    }

    private Optional<JsonNode> lookUp(String id, Deadline deadline) throws AnswerFailedException, InterruptedException {
        try {
            return Optional.of(openAi.get("/assistants/" + id, deadline));
        } catch (AnswerFailedException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private void updateIfChanged(JsonNode found, Deadline deadline) throws AnswerFailedException, InterruptedException {
        ObjectNode changes = JSON.createObjectNode();
        assistant.fieldNames().forEachRemaining(field -> {
            if (!assistant.get(field).equals(found.path(field))) {
                changes.set(field, assistant.get(field));
            }
        });
        if (!changes.isEmpty()) {
            openAi.post("/assistants/" + assistantId, changes, deadline);
            List<String> changed = new ArrayList<>();
            changes.fieldNames().forEachRemaining(changed::add);
            LOG.info("Updated assistant " + assistantId + " to the settings: " + String.join(", ", changed));
        }
    }

    /** Creates the assistant and stores it in place of {@code replaced}; returns the id stored. */
    private String created(Optional<String> replaced, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        String id = openAi.create("/assistants", assistant, deadline);
        String inUse = ids.replace(replaced, id);
        LOG.info(inUse.equals(id) ? "Created assistant " + id
                : "Created assistant " + id + ", but another instance stored " + inUse + " first: using that one");
        return inUse;
    }

    /**
     * Replaces an assistant deleted upstream while the service runs: once, however many answers
     * find it gone at the same time.
     */
    private void replaceLost(String lost, Deadline deadline) throws AnswerFailedException, InterruptedException {
        replacing.lock();
        try {
            if (lost.equals(assistantId)) {
                LOG.warning("Assistant " + lost + " no longer exists upstream: creating a new one");
                assistantId = created(Optional.of(lost), deadline);
            }
        } finally {
            replacing.unlock();
        }
    }

    @Override
    public String name() {
        return "assistants";
    }

    @Override
    public String createConversation(String channel, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("metadata").put("channel", clipped(channel));
        return openAi.create("/threads", body, deadline);
    }

    @Override
    public void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        String thread = conversation.id();
        ObjectNode userMessage = JSON.createObjectNode().put("role", "user").put("content", message.text());
        clearingActiveRuns(thread, deadline, () -> openAi.post(path(thread) + "/messages", userMessage, deadline));
        FutureTask<Void> metadata = new FutureTask<>(() -> updateMetadata(conversation, deadline));
        Thread.ofVirtual().name("thread-metadata").start(metadata);
        Run run = new Run(thread, sink, deadline);
        try {
            rounds.converse(run, sink, new ToolCaller(conversation.channel(), message.id(), thread), deadline);
        } catch (AnswerFailedException | ConversationNotFoundException | InterruptedException e) {
            metadata.cancel(true);
            run.abandon(); // interrupted: a cancel broke off the stream, and the run goes on upstream unless cancelled
            throw e;
        }
        if (!run.ended) { // the sink refused text (the answer was cancelled, or its frames failed): the run goes on
            run.abandon();
        }
        awaitMetadata(metadata, thread);
    }

    private static String path(String thread) {
        return "/threads/" + thread;
    }

    /**
     * The thread's metadata upstream (channel, message count, last message time), as the seed kept
     * it; written while the run streams, so it is normally done long before the answer.
     */
    private Void updateMetadata(ChannelConversation conversation, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("metadata").put("channel", clipped(conversation.channel()))
                .put("message_count", Long.toString(conversation.messageCount()))
                .put("last_message_at", conversation.lastMessageAt());
        openAi.post(path(conversation.id()), body, deadline);
        return null;
    }

    /** Metadata is bookkeeping: failing to write it is logged and does not fail the answer. */
    private static void awaitMetadata(FutureTask<Void> metadata, String thread) throws InterruptedException {
        try {
            metadata.get();
        } catch (ExecutionException e) {
            LOG.warning("Could not update the metadata of " + thread + ": " + e.getCause().getMessage());
        }
    }

    /** One run, from its creation through every round of tool outputs. */
    private final class Run implements ToolRounds.Rounds {
        private final String thread;
        private final AnswerSink sink;
        private final Deadline deadline;
        private String runId;
        private boolean ended;

        Run(String thread, AnswerSink sink, Deadline deadline) {
            this.thread = thread;
            this.sink = sink;
            this.deadline = deadline;
        }

        @Override
        public List<ToolCall> first() throws AnswerFailedException, ConversationNotFoundException,
                InterruptedException {
            try {
                return clearingActiveRuns(thread, deadline, () -> stream("/runs", request(), () -> !sink.textSent()));
            } catch (ConversationNotFoundException e) {
                String used = assistantId;
                if (lookUp(used, deadline).isPresent()) {
                    throw e; // the thread is what is gone
                }
                replaceLost(used, deadline);
                return clearingActiveRuns(thread, deadline, () -> stream("/runs", request(), () -> !sink.textSent()));
            }
        }

        /**
         * Submits the outputs and streams the rest of the run. Never sent twice: once OpenAI has
         * the outputs it refuses them again, so a broken stream here ends the answer.
         */
        @Override
        public List<ToolCall> next(List<ToolResult> results) throws AnswerFailedException,
                ConversationNotFoundException, InterruptedException {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode outputs = body.putArray("tool_outputs");
            results.forEach(result -> outputs.addObject().put("tool_call_id", result.callId())
                    .put("output", result.output()));
            body.put("stream", true);
            return stream("/runs/" + runId + "/submit_tool_outputs", body, () -> false);
        }

        private ObjectNode request() {
            return JSON.createObjectNode().put("assistant_id", assistantId).put("stream", true);
        }

        private List<ToolCall> stream(String path, ObjectNode body, BooleanSupplier safeToRetry)
                throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
            RunStream events = new RunStream(sink);
            try {
                openAi.stream(path(thread) + path, body, deadline, events::onEvent, safeToRetry);
            } catch (AnswerFailedException e) {
                if (e.notFound()) {
                    throw new ConversationNotFoundException(thread);
                }
                throw e;
            } finally {
                runId = events.runId() != null ? events.runId() : runId;
                ended = events.ended();
            }
            if (!events.calls().isEmpty() && runId == null) {
                throw new AnswerFailedException("The assistant sent a malformed answer",
                        "OpenAI asked for tool outputs without naming the run");
            }
            return events.calls();
        }

        /**
         * Cancels the run of an answer that failed or was cancelled and waits for it to end, while the
         * channel lease is still held, so it neither goes on writing an answer nobody sees into the
         * thread nor holds the thread against the next message; best effort. The thread then keeps
         * what the run wrote before it was cancelled (an incomplete assistant message, if any).
         */
        void abandon() {
            if (runId == null || ended) {
                return;
            }
            boolean interrupted = Thread.interrupted(); // the cancel call must not be broken by the interrupt that ended the stream
            try {
                cancel(thread, runId, Deadline.in(ABANDON_BUDGET));
                LOG.fine(() -> "Cancelled run " + runId + " of thread " + thread + ": its answer failed");
            } catch (AnswerFailedException e) {
                LOG.warning("Could not cancel run " + runId + " of thread " + thread + ", whose answer failed: "
                        + e.getMessage());
            } catch (InterruptedException e) {
                interrupted = true;
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** A request on a thread, refused while another run holds the thread. */
    @FunctionalInterface
    private interface ThreadRequest<T> {
        T send() throws AnswerFailedException, ConversationNotFoundException, InterruptedException;
    }

    /**
     * Sends the request; if the thread is held by an active run (a worker that died, a stream that
     * broke), cancels that run, waits for it to end and sends the request again.
     */
    private <T> T clearingActiveRuns(String thread, Deadline deadline, ThreadRequest<T> request)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        for (int clearing = 0; ; clearing++) {
            try {
                return request.send();
            } catch (AnswerFailedException e) {
                if (e.notFound()) {
                    throw new ConversationNotFoundException(thread);
                }
                Optional<String> run = activeRun(e);
                if (run.isEmpty() || clearing == RUN_CLEARINGS) {
                    throw e;
                }
                LOG.warning("Run " + run.get() + " holds thread " + thread + " though no answer of this service "
                        + "streams it (a worker died, or its stream broke): cancelling it");
                cancel(thread, run.get(), deadline);
            }
        }
    }

    private static Optional<String> activeRun(AnswerFailedException e) {
        return e.upstream().filter(error -> error.status() == 400).map(error -> ACTIVE_RUN.matcher(error.message()))
                .filter(Matcher::find).map(m -> m.group(1) != null ? m.group(1) : m.group(2));
    }

    /** Cancels a run and waits until it has ended. */
    private void cancel(String thread, String runId, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        String run = path(thread) + "/runs/" + runId;
        try {
            openAi.post(run + "/cancel", JSON.createObjectNode(), deadline);
        } catch (AnswerFailedException e) {
            if (e.upstream().filter(error -> error.status() == 400).isEmpty()) {
                throw e; // 400: it ended meanwhile
            }
        }
        while (!RunStream.ENDED.contains(openAi.get(run, deadline).path("status").asText())) {
            if (deadline.remainingNanos() < CANCEL_POLL.toNanos()) {
                throw new AnswerFailedException("The conversation is busy",
                        "run " + runId + " of thread " + thread + " did not end after it was cancelled");
            }
            Thread.sleep(CANCEL_POLL);
        }
    }

    private static String clipped(String value) {
        return value.length() <= METADATA_VALUE_CHARS ? value : value.substring(0, METADATA_VALUE_CHARS);
    }
}
