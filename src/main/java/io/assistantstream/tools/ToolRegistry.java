package io.assistantstream.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.assistantstream.backend.Deadline;
import io.assistantstream.observe.Meters;

/**
 * The tools offered to the model, and the running of a model's calls: all calls of one step at
 * once, each on its own virtual thread, each bounded by the tool timeout. A call that fails in any
 * way (unknown tool, bad arguments, error, timeout) yields an error text for the model and never
 * fails the answer. The model may repeat that text to the user, so a crash is told in words and its
 * exception only logged: its message may quote a request, with a key in its URL.
 *
 * <p>Each call is bounded by its tool's own timeout, or the registry's, and never outlasts the
 * answer's {@link Deadline}: a tool may be given an hour, the answer not. A call cut by the deadline
 * yields the same timeout error text, naming the answer's limit; the model is not asked again, as
 * the backend's next request fails on the deadline. Every output, error texts included, reaches the
 * model capped at {@code TOOL_OUTPUT_MAX_BYTES} ({@link OutputCap}).
 */
public final class ToolRegistry {
    private static final Logger LOG = Logger.getLogger(ToolRegistry.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final Duration timeout;
    private final OutputCap cap;
    private final Meters meters;

    /**
     * @param timeout        how long a call of a tool without a timeout of its own may take
     * @param outputMaxBytes the most UTF-8 bytes of one output handed to the model
     */
    public ToolRegistry(List<Tool> tools, Duration timeout, int outputMaxBytes, Meters meters) {
        tools.forEach(tool -> {
            if (this.tools.putIfAbsent(tool.name(), tool) != null) {
                throw new IllegalArgumentException("two tools are named " + tool.name());
            }
        });
        this.timeout = timeout;
        this.cap = new OutputCap(outputMaxBytes);
        this.meters = meters;
    }

    public List<Tool> tools() {
        return List.copyOf(tools.values());
    }

    /**
     * Runs every call concurrently, each for at most its timeout or until {@code deadline}, whichever
     * comes first; the results are in the order of the calls.
     */
    public List<ToolResult> run(List<ToolCall> calls, ToolCaller caller, Deadline deadline)
            throws InterruptedException {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> running = new ArrayList<>();
            for (ToolCall call : calls) {
                running.add(pool.submit(() -> runOne(call, caller)));
            }
            long started = System.nanoTime();
            List<ToolResult> results = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = calls.get(i);
                results.add(new ToolResult(call.callId(),
                        cap.apply(await(call, running.get(i), started, deadline))));
            }
            return results;
        }
    }

    /** How long a call of the tool {@code name} may take. */
    private Duration timeoutOf(String name) {
        Tool tool = tools.get(name);
        return tool == null ? timeout : tool.timeout().orElse(timeout);
    }

    private String await(ToolCall call, Future<String> result, long started, Deadline deadline)
            throws InterruptedException {
        Duration limit = timeoutOf(call.name());
        long due = started + limit.toNanos();
        boolean answerFirst = deadline.nanoTime() - due < 0;
        try {
            return result.get(Math.max(0, (answerFirst ? deadline.nanoTime() : due) - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            meters.toolCalls(call.name(), "timeout").increment();
            return "Error: " + call.name() + " did not finish within " + (answerFirst
                    ? "the answer's " + deadline.budget().toMillis() + " ms (OPENAI_ANSWER_TIMEOUT_MS)"
                    : limit.toMillis() + " ms");
        } catch (ExecutionException e) {
            LOG.log(Level.WARNING, "Tool " + call.name() + " failed", e.getCause());
            meters.toolCalls(call.name(), "error").increment();
            return "Error: " + call.name() + " failed unexpectedly";
        }
    }

    /** Runs one call and counts its outcome (a timeout or crash is counted by the caller). */
    private String runOne(ToolCall call, ToolCaller caller) {
        String failure;
        Tool tool = tools.get(call.name());
        if (tool == null) {
            failure = "there is no tool named '" + call.name() + "'";
        } else {
            try {
                String output = tool.call(JSON.readTree(call.arguments() == null || call.arguments().isBlank()
                        ? "{}" : call.arguments()), caller);
                meters.toolCalls(call.name(), "ok").increment();
                return output;
            } catch (JsonProcessingException e) {
                failure = "the arguments for " + call.name() + " are not valid JSON: " + e.getOriginalMessage();
            } catch (ToolFailedException e) {
                failure = e.getMessage();
            }
        }
        meters.toolCalls(tool == null ? "unknown" : call.name(), "error").increment();
        return "Error: " + failure;
    }
}
