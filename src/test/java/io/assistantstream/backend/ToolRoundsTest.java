package io.assistantstream.backend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.TestMeters;
import io.assistantstream.tools.Tool;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.tools.ToolRegistry;
import io.assistantstream.tools.ToolResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolRoundsTest {
    private static final ToolCaller CALLER = new ToolCaller("channel", "message", "conversation");
    private static final Deadline PLENTY = Deadline.in(Duration.ofMinutes(5));
    private final AtomicInteger toolCalls = new AtomicInteger();
    private final Tool echo = new Tool() {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public String description() {
            return "says its arguments back";
        }

        @Override
        public JsonNode parameters() {
            return JsonNodeFactory.instance.objectNode();
        }

        @Override
        public String call(JsonNode arguments, ToolCaller caller) {
            toolCalls.incrementAndGet();
            return "echo " + arguments;
        }
    };
    private final ToolRounds rounds = new ToolRounds(new ToolRegistry(List.of(echo), Duration.ofSeconds(5), 16_384,
            TestMeters.fresh()));

    /** A sink that reaches clients while {@code reachable} says so, and counts the processing frames. */
    private static final class Sink implements AnswerSink {
        private boolean reachable = true;
        private int toolsRunning;

        @Override
        public boolean toolsRunning() {
            toolsRunning++;
            return reachable;
        }

        @Override
        public boolean hostedToolRunning(String activity) {
            return reachable;
        }

        @Override
        public boolean text(String delta) {
            return reachable;
        }

        @Override
        public boolean textSent() {
            return false;
        }
    }

    /** Rounds that make {@code callsPerRound} calls in each of the first {@code roundsWithCalls} rounds. */
    private static final class Scripted implements ToolRounds.Rounds {
        private final int roundsWithCalls;
        private final int callsPerRound;
        private final List<List<ToolResult>> received = new ArrayList<>();

        Scripted(int roundsWithCalls, int callsPerRound) {
            this.roundsWithCalls = roundsWithCalls;
            this.callsPerRound = callsPerRound;
        }

        @Override
        public List<ToolCall> first() {
            return calls(0);
        }

        @Override
        public List<ToolCall> next(List<ToolResult> results) {
            received.add(results);
            return calls(received.size());
        }

        private List<ToolCall> calls(int round) {
            List<ToolCall> calls = new ArrayList<>();
            for (int i = 0; round < roundsWithCalls && i < callsPerRound; i++) {
                calls.add(new ToolCall("call-" + round + "-" + i, "echo", "{\"n\":" + i + "}"));
            }
            return calls;
        }
    }

    @Test
    void each_definition_carries_its_tools_own_strict_inline_or_nested() {
        Tool loose = new Tool() {
            @Override
            public String name() {
                return "loose";
            }

            @Override
            public String description() {
                return "takes any arguments";
            }

            @Override
            public JsonNode parameters() {
                return JsonNodeFactory.instance.objectNode().put("type", "object");
            }

            @Override
            public boolean strict() {
                return false;
            }

            @Override
            public String call(JsonNode arguments, ToolCaller caller) {
                return "";
            }
        };
        ToolRounds both = new ToolRounds(new ToolRegistry(List.of(echo, loose),
                Duration.ofSeconds(5), 16_384, TestMeters.fresh()));
        assertEquals("[{\"type\":\"function\",\"name\":\"echo\",\"description\":\"says its arguments back\","
                + "\"strict\":true,\"parameters\":{}},{\"type\":\"function\",\"name\":\"loose\",\"description\":"
                + "\"takes any arguments\",\"strict\":false,\"parameters\":{\"type\":\"object\"}}]",
                both.definitions(false).toString());
        assertEquals("false", both.definitions(true).path(1).path("function").path("strict").toString());
    }

    @Test
    void every_call_of_a_round_runs_and_the_next_round_gets_all_their_results() throws Exception {
        Scripted script = new Scripted(2, 3);
        Sink sink = new Sink();
        rounds.converse(script, sink, CALLER, PLENTY);
        assertEquals(2, script.received.size());
        assertEquals(List.of("call-0-0", "call-0-1", "call-0-2"),
                script.received.getFirst().stream().map(ToolResult::callId).toList());
        assertEquals("echo {\"n\":2}", script.received.getFirst().get(2).output());
        assertEquals(6, toolCalls.get());
        assertEquals(2, sink.toolsRunning, "clients hear of each round of tools");
    }

    @Test
    void an_answer_whose_frames_reach_no_one_runs_no_tools() throws Exception {
        Scripted script = new Scripted(1, 2);
        Sink sink = new Sink();
        sink.reachable = false;
        rounds.converse(script, sink, CALLER, PLENTY);
        assertEquals(0, toolCalls.get());
        assertTrue(script.received.isEmpty());
    }

    @Test
    void a_model_that_keeps_asking_for_tools_ends_the_answer_naming_the_limit() {
        AnswerFailedException e = assertThrows(AnswerFailedException.class,
                () -> rounds.converse(new Scripted(Integer.MAX_VALUE, 1), new Sink(), CALLER, PLENTY));
        assertEquals("The assistant kept asking for tools", e.summary());
        assertEquals("the model asked for tools 9 times in one answer; at most 8 rounds of tool calls are run",
                e.getMessage());
        assertEquals(ToolRounds.MAX_TOOL_ROUNDS, toolCalls.get());
    }

    @Test
    void a_round_with_more_calls_than_the_limit_ends_the_answer_and_runs_none_of_them() {
        Sink sink = new Sink();
        AnswerFailedException e = assertThrows(AnswerFailedException.class,
                () -> rounds.converse(new Scripted(1, ToolRounds.MAX_CALLS_PER_ROUND + 1), sink, CALLER, PLENTY));
        assertEquals("the model asked for 65 tool calls in one round; at most 64 are run", e.getMessage());
        assertEquals(0, toolCalls.get());
        assertEquals(0, sink.toolsRunning, "no processing frame for tools that do not run");
    }
}
