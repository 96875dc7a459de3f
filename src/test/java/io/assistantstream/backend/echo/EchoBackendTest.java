package io.assistantstream.backend.echo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.testing.TestMeters;
import io.assistantstream.tools.Tool;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.tools.ToolFailedException;
import io.assistantstream.tools.ToolRegistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EchoBackendTest {
    private static final ChannelConversation CONVERSATION = new ChannelConversation("room-1", "echo_1", 1, "");
    private static final Deadline PLENTY = Deadline.in(Duration.ofSeconds(30));

    private final List<String> weatherAsked = new CopyOnWriteArrayList<>();
    private final AtomicReference<ToolCaller> weatherCaller = new AtomicReference<>();
    private final ToolRounds rounds = new ToolRounds(new ToolRegistry(List.of(new Tool() {
        @Override
        public String name() {
            return "get_weather";
        }

        @Override
        public String description() {
            return "the weather, as OpenWeather would tell it";
        }

        @Override
        public JsonNode parameters() {
            return JsonNodeFactory.instance.objectNode();
        }

        @Override
        public String call(JsonNode arguments, ToolCaller caller) {
            weatherAsked.add(arguments.path("city").asText());
            weatherCaller.set(caller);
            return "{\"location\":\"Zocca, IT\",\"description\":\"light rain\",\"units\":\"metric\",\"temperature\":12.5,"
                    + "\"feels_like\":11.9,\"humidity_percent\":81,\"wind_speed\":3.1}";
        }
    }), Duration.ofSeconds(5), 16_384, TestMeters.fresh()));

    /** What reached the sink, in order: each delta, and "[processing]" when tools were about to run. */
    private static final class Sink implements AnswerSink {
        private final List<String> seen = new ArrayList<>();
        private final int takes;

        /** A sink whose frames reach clients for the first {@code takes} deltas only. */
        Sink(int takes) {
            this.takes = takes;
        }

        @Override
        public boolean toolsRunning() {
            seen.add("[processing]");
            return true;
        }

        @Override
        public boolean hostedToolRunning(String activity) {
            seen.add("[" + activity + "]");
            return true;
        }

        @Override
        public boolean text(String delta) {
            seen.add(delta);
            return seen.size() < takes;
        }

        @Override
        public boolean textSent() {
            return !seen.isEmpty();
        }
    }

    private Sink answer(EchoBackend echo, String text, Sink sink, Deadline deadline) throws Exception {
        echo.respond(CONVERSATION, new UserMessage("m1", text), sink, deadline);
        return sink;
    }

    private EchoBackend echo(boolean weather, Duration wordPause) {
        return new EchoBackend(rounds, weather, wordPause);
    }

    @Test
    void a_message_comes_back_word_by_word_and_the_words_join_into_it() throws Exception {
        String text = "  Hello   there,\nhow are you? ";
        Sink sink = answer(echo(false, Duration.ZERO), text, new Sink(Integer.MAX_VALUE), PLENTY);
        assertEquals(List.of("  Hello   ", "there,\n", "how ", "are ", "you? "), sink.seen);
        assertEquals(text, String.join("", sink.seen));
        assertEquals(List.of(" "), answer(echo(false, Duration.ZERO), " ", new Sink(9), PLENTY).seen);
    }

    @Test
    void the_words_come_at_the_set_pace() throws Exception {
        long start = System.nanoTime();
        answer(echo(false, Duration.ofMillis(40)), "one two three four five", new Sink(99), PLENTY);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= 200, "five words at 40 ms took " + tookMs + " ms");
    }

    @Test
    void it_stops_as_soon_as_the_sink_takes_no_more() throws Exception {
        Sink sink = answer(echo(false, Duration.ZERO), "one two three four five", new Sink(2), PLENTY);
        assertEquals(List.of("one ", "two "), sink.seen);
    }

    @Test
    void an_interrupt_during_a_pause_ends_the_answer_at_once() throws Exception {
        EchoBackend slow = echo(false, Duration.ofSeconds(10));
        Thread.currentThread().interrupt();
        long start = System.nanoTime();
        try {
            assertThrows(InterruptedException.class, () -> answer(slow, "never said", new Sink(9), PLENTY));
            assertTrue(System.nanoTime() - start < 1_000_000_000L, "it did not sit out its pause");
        } finally {
            Thread.interrupted(); // the next test starts uninterrupted, whatever happened here
        }
    }

    @Test
    void an_echo_that_outlasts_the_answer_deadline_fails_naming_both_settings() {
        AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> answer(echo(false,
                Duration.ofMillis(30)), "a b c d e f g h i j", new Sink(99), Deadline.in(Duration.ofMillis(100))));
        assertEquals("The assistant took too long to answer", e.summary());
        assertTrue(e.getMessage().contains("ECHO_WORD_MS") && e.getMessage().contains("OPENAI_ANSWER_TIMEOUT_MS"),
                e.getMessage());
    }

    @Test
    void a_weather_question_runs_get_weather_for_its_city_and_says_what_it_found() throws Exception {
        Sink sink = answer(echo(true, Duration.ZERO), "What is the weather in Zocca today?", new Sink(99), PLENTY);
        assertEquals(List.of("Zocca"), weatherAsked);
        assertEquals(new ToolCaller("room-1", "m1", "echo_1"), weatherCaller.get());
        assertEquals("[processing]", sink.seen.getFirst(), "clients hear that a tool runs before any text");
        assertEquals("The weather in Zocca, IT: light rain, 12.5 °C (feels like 11.9 °C), humidity 81%, wind 3.1 m/s.",
                String.join("", sink.seen.subList(1, sink.seen.size())));
    }

    @Test
    void a_weather_tool_slower_than_the_answer_deadline_is_cut_there_and_the_answer_fails() {
        Tool stuck = new Tool() {
            @Override
            public String name() {
                return "get_weather";
            }

            @Override
            public String description() {
                return "an OpenWeather that never answers";
            }

            @Override
            public JsonNode parameters() {
                return JsonNodeFactory.instance.objectNode();
            }

            @Override
            public Optional<Duration> timeout() {
                return Optional.of(Duration.ofSeconds(10));
            }

            @Override
            public String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException {
                try {
                    Thread.sleep(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new ToolFailedException("interrupted");
                }
                return "{}";
            }
        };
        EchoBackend echo = new EchoBackend(new ToolRounds(new ToolRegistry(List.of(stuck), Duration.ofSeconds(10),
                16_384, TestMeters.fresh())), true, Duration.ZERO);
        long start = System.nanoTime();
        AnswerFailedException e = assertThrows(AnswerFailedException.class, () -> answer(echo,
                "weather in Zocca?", new Sink(99), Deadline.in(Duration.ofMillis(300))));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs < 5_000, "the tool's own 10 s were not waited out: " + tookMs + " ms");
        assertEquals("The assistant took too long to answer", e.summary());
    }

    @Test
    void without_a_weather_key_a_weather_question_is_echoed_like_any_message() throws Exception {
        Sink sink = answer(echo(false, Duration.ZERO), "weather in Zocca?", new Sink(99), PLENTY);
        assertEquals("weather in Zocca?", String.join("", sink.seen));
        assertEquals(List.of(), weatherAsked);
    }

    @Test
    void a_tool_error_is_said_in_words() {
        assertEquals("I asked get_weather about Nowhere. It said: no place called 'Nowhere' was found",
                new WeatherQuestion("Nowhere").answer("Error: no place called 'Nowhere' was found"));
    }

    @Test
    void only_a_question_about_the_weather_somewhere_names_a_city() {
        assertEquals("New York", WeatherQuestion.in("How's the weather in New York right now?").orElseThrow().city());
        assertEquals("Paris,FR", WeatherQuestion.in("weather for Paris,FR").orElseThrow().city());
        assertTrue(WeatherQuestion.in("The weather is nice").isEmpty());
        assertTrue(WeatherQuestion.in("I live in Zocca").isEmpty());
    }

    @Test
    void a_message_of_256_kib_made_to_backtrack_is_classified_at_once() {
        int size = 256 * 1024;
        for (String message : List.of("weather" + " in a".repeat(size / 5) + ")",
                "weather ".repeat(size / 8) + "in a)", "weather in " + "a".repeat(size) + ")")) {
            long start = System.nanoTime();
            assertTrue(WeatherQuestion.in(message).isEmpty());
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 2_000, message.substring(0, 20) + "… took " + tookMs + " ms");
        }
    }

    @Test
    void only_the_start_of_a_message_is_read_for_a_question() {
        String filler = " Go on.".repeat(100);
        assertEquals("Zocca", WeatherQuestion.in("What is the weather in Zocca?" + filler).orElseThrow().city());
        assertTrue(WeatherQuestion.in(filler + "What is the weather in Zocca?").isEmpty());
        assertTrue(WeatherQuestion.in("weather in " + "Zocca".repeat(200)).isEmpty(), "a city cut off names no place");
    }

    @Test
    void each_conversation_is_a_new_echo_id() {
        EchoBackend echo = echo(false, Duration.ZERO);
        String first = echo.createConversation("room-1", PLENTY);
        assertTrue(first.matches("echo_[0-9a-f]{32}"), first);
        assertNotEquals(first, echo.createConversation("room-1", PLENTY));
    }
}
