package io.assistantstream.backend.assistants;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
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
    private static final Set<String> ENDED = Set.of("cancelled", "failed", "completed", "expired", "incomplete");
    /** How often a request that finds the thread busy cancels the run holding it and tries again. */
    private static final int RUN_CLEARINGS = 3;
    private static final Duration CANCEL_POLL = Duration.ofMillis(100);
    /** OpenAI's limit on a metadata value. */
    private static final int METADATA_VALUE_CHARS = 512;

    private final OpenAiClient openAi;
    private final ToolRounds rounds;
    private final AssistantIdStore ids;
    private final ObjectNode assistant;
    private volatile String assistantId;

    /**
     * @param openAi the shared client; this backend adds the {@code OpenAI-Beta} header
     * @param model  the model, name and instructions a new assistant is created with
     */
    public AssistantsBackend(OpenAiClient openAi, ToolRounds rounds, AssistantIdStore ids, String model,
                             String name, String instructions) {
        this.openAi = openAi.withHeader("OpenAI-Beta", "assistants=v2");
        this.rounds = rounds;
        this.ids = ids;
        this.assistant = JSON.createObjectNode().put("model", model).put("name", name);
        if (!instructions.isBlank()) {
            assistant.put("instructions", instructions);
        }
        assistant.set("tools", rounds.definitions(true));
    }

    /**
     * Makes sure the assistant exists: the stored one if OpenAI still has it, else a new one, stored
     * for every instance. Call once before the first answer.
     */
    public void start(Deadline deadline) throws AnswerFailedException, InterruptedException {
        assistantId = verifiedOrCreated(ids.get(), deadline);
    }

    private String verifiedOrCreated(Optional<String> stored, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        if (stored.isPresent()) {
            try {
                openAi.get("/assistants/" + stored.get(), deadline);
                return stored.get();
            } catch (AnswerFailedException e) {
                if (!notFound(e)) {
                    throw e;
                }
                LOG.warning("The stored assistant " + stored.get() + " does not exist upstream: creating a new one");
            }
        }
        String id = openAi.create("/assistants", assistant, deadline);
        String inUse = ids.replace(stored, id);
        LOG.info(inUse.equals(id) ? "Created assistant " + id
                : "Created assistant " + id + ", but another instance stored " + inUse + " first: using that one");
        return inUse;
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
    public void respond(ChannelConversation conversation, String message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        String thread = "/threads/" + conversation.id();
        ObjectNode userMessage = JSON.createObjectNode().put("role", "user").put("content", message);
        clearingActiveRuns(thread, deadline, () -> openAi.post(thread + "/messages", userMessage, deadline));
        FutureTask<Void> metadata = new FutureTask<>(() -> updateMetadata(thread, conversation, deadline));
        Thread.ofVirtual().name("thread-metadata").start(metadata);
        Run run = new Run(thread, sink, deadline);
        rounds.converse(run::start, results -> () -> run.submit(results), sink);
        awaitMetadata(metadata, thread);
    }

    /**
     * The thread's metadata upstream (channel, message count, last message time), as the seed kept
     * it; written while the run streams, so it costs the answer no time.
     */
    private Void updateMetadata(String thread, ChannelConversation conversation, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("metadata").put("channel", clipped(conversation.channel()))
                .put("message_count", Long.toString(conversation.messageCount()))
                .put("last_message_at", conversation.lastMessageAt());
        openAi.post(thread, body, deadline);
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
    private final class Run {
        private final String thread;
        private final AnswerSink sink;
        private final Deadline deadline;
        private String runId;

        Run(String thread, AnswerSink sink, Deadline deadline) {
            this.thread = thread;
            this.sink = sink;
            this.deadline = deadline;
        }

        List<ToolCall> start() throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
            try {
                return clearingActiveRuns(thread, deadline, () -> stream(thread + "/runs", request()));
            } catch (ConversationNotFoundException e) {
                if (!assistantLost()) {
                    throw e;
                }
                return clearingActiveRuns(thread, deadline, () -> stream(thread + "/runs", request()));
            }
        }

        List<ToolCall> submit(List<ToolResult> results) throws AnswerFailedException, InterruptedException {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode outputs = body.putArray("tool_outputs");
            results.forEach(result -> outputs.addObject().put("tool_call_id", result.callId())
                    .put("output", result.output()));
            body.put("stream", true);
            try {
                return stream(thread + "/runs/" + runId + "/submit_tool_outputs", body);
            } catch (ConversationNotFoundException e) {
                throw new AnswerFailedException("The assistant lost the conversation",
                        "the run " + runId + " of " + thread + " vanished while its tools ran");
            }
        }

        private ObjectNode request() {
            return JSON.createObjectNode().put("assistant_id", assistantId).put("stream", true);
        }

        private List<ToolCall> stream(String path, ObjectNode body)
                throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
            RunStream events = new RunStream(sink);
            try {
                openAi.stream(path, body, deadline, events::onEvent, () -> !sink.textSent());
            } catch (AnswerFailedException e) {
                if (notFound(e)) {
                    throw new ConversationNotFoundException(thread);
                }
                throw e;
            } finally {
                if (events.runId() != null) {
                    runId = events.runId();
                }
            }
            if (!events.calls().isEmpty() && runId == null) {
                throw new AnswerFailedException("The assistant sent a malformed answer",
                        "OpenAI asked for tool outputs without naming the run");
            }
            return events.calls();
        }

        /**
         * A run was refused as not found: the thread is gone, or the assistant is. If it is the
         * assistant (deleted upstream while the service ran), a new one replaces it.
         */
        private boolean assistantLost() throws AnswerFailedException, InterruptedException {
            String lost = assistantId;
            try {
                openAi.get("/assistants/" + lost, deadline);
                return false;
            } catch (AnswerFailedException e) {
                if (!notFound(e)) {
                    throw e;
                }
            }
            assistantId = verifiedOrCreated(Optional.of(lost), deadline);
            return true;
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
                if (notFound(e)) {
                    throw new ConversationNotFoundException(thread);
                }
                Optional<String> run = activeRun(e);
                if (run.isEmpty() || clearing == RUN_CLEARINGS) {
                    throw e;
                }
                cancel(thread, run.get(), deadline);
            }
        }
    }

    private static Optional<String> activeRun(AnswerFailedException e) {
        return e.upstream().filter(error -> error.status() == 400).map(error -> ACTIVE_RUN.matcher(error.message()))
                .filter(Matcher::find).map(m -> m.group(1) != null ? m.group(1) : m.group(2));
    }

    private void cancel(String thread, String runId, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        String run = thread + "/runs/" + runId;
        LOG.warning("Run " + runId + " holds " + thread + " though no answer of this service is streaming it "
                + "(a worker died, or its stream broke): cancelling it");
        try {
            openAi.post(run + "/cancel", JSON.createObjectNode(), deadline);
        } catch (AnswerFailedException e) {
            if (e.upstream().filter(error -> error.status() == 400).isEmpty()) {
                throw e; // 400: it ended meanwhile
            }
        }
        while (!ENDED.contains(openAi.get(run, deadline).path("status").asText())) {
            if (deadline.remainingNanos() < CANCEL_POLL.toNanos()) {
                throw new AnswerFailedException("The conversation is busy",
                        "run " + runId + " of " + thread + " did not end after it was cancelled");
            }
            Thread.sleep(CANCEL_POLL);
        }
    }

    private static boolean notFound(AnswerFailedException e) {
        return e.upstream().filter(AnswerFailedException.UpstreamError::notFound).isPresent();
    }

    private static String clipped(String value) {
        return value.length() <= METADATA_VALUE_CHARS ? value : value.substring(0, METADATA_VALUE_CHARS);
    }
}
