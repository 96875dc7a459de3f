package io.assistantstream.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.Main;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line, run as {@code Main} runs it, against the world's real Redis and RabbitMQ. */
class CliTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private int sent;


    /** What one run printed, and its exit code. */
    private record Run(int code, String out, String err) {
    }

    private Run cli(String input, boolean terminal, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(world.config(), args, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), terminal);
        return new Run(code, out.toString(), err.toString());
    }

    private Run cli(String... args) {
        return cli("", false, args);
    }

    /** Answers one message on each channel through a running service, so the channels are mapped. */
    private void answered(String... channels) throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            for (String channel : channels) {
                String messageId = "m" + (++sent) + "-" + channel;
                client.subscribe(channel);
                world.rabbit().publish(channel, messageId, "hello");
                client.answer(messageId);
            }
        }
        world.stop(service);
    }

    /** Starts a service and points {@code WEBSOCKET_URL} at its {@code /ws}. */
    private AssistantStream runningAtWebsocketUrl() throws Exception {
        AssistantStream service = world.start();
        world.set("websocket.url", "ws://127.0.0.1:" + service.port() + "/ws");
        return service;
    }

    private String threadOf(String channel) {
        return world.redis().get(world.prefix() + "thread:" + channel);
    }

    @Test
    void help_lists_every_flag_and_exits_0() {
        Run help = cli("--help");
        assertEquals(0, help.code());
        for (String flag : List.of("--test-message", "--generate-uuid", "--show-thread-stats", "--clear-all-threads",
                "--clear-old-threads", "--json", "--yes")) {
            assertTrue(help.out().contains(flag), flag + " in " + help.out());
        }
    }

    @Test
    void the_jars_main_runs_a_command_and_exits_with_its_code() throws Exception {
        for (var expected : List.of(List.of("--help", "0"), List.of("--frobnicate", "2"))) {
            Process process = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), expected.get(0))
                    .redirectErrorStream(true).start();
            String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(Integer.parseInt(expected.get(1)), process.exitValue(), printed);
            assertTrue(printed.contains("Usage: assistant-stream"), printed);
        }
    }

    @Test
    void usage_errors_say_what_is_wrong_and_exit_2() {
        List<List<String>> cases = List.of(
                List.of("--json"),
                List.of("--show-thread-stats", "--generate-uuid"),
                List.of("--clear-old-threads", "soon"),
                List.of("--clear-old-threads", "-1"),
                List.of("--test-message", "only-a-channel"),
                List.of("--frobnicate"));
        for (List<String> args : cases) {
            Run run = cli(args.toArray(String[]::new));
            assertEquals(2, run.code(), args + ": " + run.err());
            assertTrue(run.err().contains("Usage:"), args + " shows the usage: " + run.err());
        }
    }

    @Test
    void thread_stats_show_the_figures_as_text_and_as_json() throws Exception {
        answered("chan-a", "chan-b");
        answered("chan-a");

        Run text = cli("--show-thread-stats");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("Threads: 2"), text.out());
        assertTrue(text.out().contains("0-1 days            2  100.0%"), text.out());
        assertTrue(text.out().contains("Messages: 3 (1.5 per thread)"), text.out());
        assertTrue(text.out().contains("Most active channel: chan-a (2 messages)"), text.out());
        assertTrue(text.out().contains("Oldest conversation: chan-a, started 20"), text.out());

        JsonNode json = Json.parse(cli("--show-thread-stats", "--json").out());
        assertEquals(2, json.get("threads").asLong());
        assertEquals(3, json.get("messages").asLong());
        assertEquals("chan-b", json.get("newest").get("channel").asText());
        assertEquals(5, json.get("ages").size());
        assertTrue(json.get("storage_bytes").asLong() > 0, json.toString());
    }

    @Test
    void clearing_all_threads_asks_for_DELETE_and_keeps_the_assistant_id() throws Exception {
        answered("chan-a", "chan-b");
        world.redis().set(world.prefix() + "assistant_id", "asst_kept");

        Run refused = cli("no thanks\n", true, "--clear-all-threads");
        assertEquals(1, refused.code());
        assertTrue(refused.out().contains("This deletes every channel mapping: about 2"), refused.out());
        assertTrue(refused.out().contains("Cancelled: nothing was deleted."), refused.out());
        assertNotNull(threadOf("chan-a"));

        Run accepted = cli("DELETE\n", true, "--clear-all-threads");
        assertEquals(0, accepted.code(), accepted.err());
        assertTrue(accepted.out().contains("Deleted 2 channel mappings."), accepted.out());
        assertNull(threadOf("chan-a"));
        assertNull(threadOf("chan-b"));
        assertEquals(0, world.redis().exists(world.prefix() + "metadata:chan-a"));
        assertEquals("asst_kept", world.redis().get(world.prefix() + "assistant_id"));
    }

    @Test
    void without_a_terminal_clearing_needs_yes() throws Exception {
        answered("chan-a");
        Run refused = cli("DELETE\n", false, "--clear-all-threads");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("Add --yes"), refused.err());
        assertNotNull(threadOf("chan-a"));

        Run done = cli("--clear-all-threads", "--yes");
        assertEquals(0, done.code(), done.err());
        assertNull(threadOf("chan-a"));
    }

    @Test
    void clearing_old_threads_deletes_only_those_older_than_the_days_given() throws Exception {
        answered("chan-old", "chan-new");
        double fortyDaysAgo = System.currentTimeMillis() / 1000.0 - 40 * 86_400;
        world.redis().zadd(world.prefix() + "channels", fortyDaysAgo, "chan-old"); // its last message, as the store writes it
        world.redis().hset(world.prefix() + "metadata:chan-old", "last_message_at", Double.toString(fortyDaysAgo));

        Run run = cli("--clear-old-threads", "30", "--yes");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("about 1, e.g. chan-old"), run.out());
        assertTrue(run.out().contains("Deleted 1 channel mappings."), run.out());
        assertNull(threadOf("chan-old"));
        assertNotNull(threadOf("chan-new"));
        assertEquals(0, cli("--clear-old-threads", "30", "--yes").code(), "nothing left to delete is fine");
    }

    @Test
    void generate_uuid_maps_a_new_channel_to_a_new_conversation() {
        Run run = cli("--generate-uuid");
        assertEquals(0, run.code(), run.err());
        String channel = run.out().lines().filter(l -> l.startsWith("Channel:")).findFirst().orElseThrow()
                .substring("Channel:".length()).strip();
        String conversation = run.out().lines().filter(l -> l.startsWith("Conversation:")).findFirst().orElseThrow()
                .substring("Conversation:".length()).strip();
        assertTrue(channel.matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), channel);
        assertTrue(conversation.startsWith("conv_"), conversation);
        assertEquals(conversation, threadOf(channel));
        assertTrue(world.openAi().conversations().contains(conversation));
        assertTrue(run.out().contains("--test-message " + channel + " \"Hello, assistant!\""), run.out());
    }

    @Test
    void test_message_prints_the_answer_of_the_running_service() throws Exception {
        runningAtWebsocketUrl();

        Run run = cli("--test-message", "chan-cli", "hello there");
        assertEquals(0, run.code(), run.err());
        assertEquals("Echo: hello there" + System.lineSeparator(), run.out());
        assertTrue(run.err().matches("(?s)Sent test_msg_[0-9a-f]{8} to channel chan-cli.*"), run.err());
        assertTrue(threadOf("chan-cli").startsWith("conv_"));
    }

    @Test
    void ctrl_c_during_test_message_cancels_the_message_and_prints_it_as_cancelled() throws Exception {
        runningAtWebsocketUrl();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int[] code = {-1};
        Thread command = Thread.ofVirtual().start(() -> code[0] = Cli.run(world.config(),
                new String[] {"--test-message", "chan-stop", "!words=300 !delay=20"},
                new ByteArrayInputStream(new byte[0]), new PrintWriter(out, true), new PrintWriter(err, true), false));
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (!out.toString().contains("w3") && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(out.toString().contains("w3") && command.isAlive(), "the answer streams: " + out);
        sun.misc.Signal.raise(new sun.misc.Signal("INT")); // the command's own Ctrl-C handler takes it
        command.join(TestWorld.timeout());
        assertEquals(1, code[0], err.toString());
        assertTrue(err.toString().contains("Cancelled."), err.toString());
        assertTrue(!out.toString().contains("w300"), "stopped before its end: " + out);
    }

    @Test
    void test_message_reads_a_channel_that_needs_a_token_with_one_it_mints_itself() throws Exception {
        world.set("websocket.auth", "jwt").set("websocket.jwt.secret", "a-test-secret-of-at-least-32-bytes!!");
        runningAtWebsocketUrl();

        Run run = cli("--test-message", "chan-token", "hello there");
        assertEquals(0, run.code(), run.err());
        assertEquals("Echo: hello there" + System.lineSeparator(), run.out());
        assertTrue(!run.err().contains("No service answers"), "the running service let it in: " + run.err());

        world.set("websocket.jwt.secret", "").set("websocket.jwt.jwks.url", "https://id.example.com/jwks.json");
        Run unsigned = cli("--test-message", "chan-token", "hello there");
        assertEquals(1, unsigned.code());
        assertTrue(unsigned.err().contains("mints itself a channel token with WEBSOCKET_JWT_SECRET"), unsigned.err());
    }

    @Test
    void test_message_runs_the_pipeline_itself_when_no_service_answers() {
        world.set("websocket.url", "ws://127.0.0.1:9/ws");

        Run run = cli("--test-message", "chan-alone", "on my own");
        assertEquals(0, run.code(), run.err());
        assertEquals("Echo: on my own" + System.lineSeparator(), run.out());
        assertTrue(run.err().startsWith("No service answers at ws://127.0.0.1:9/ws"), run.err());
    }

    @Test
    void test_message_shows_tool_steps_and_with_json_the_raw_frames() throws Exception {
        runningAtWebsocketUrl();

        Run chat = cli("--test-message", "chan-tools", "!tool=Zocca");
        assertEquals(0, chat.code(), chat.err());
        assertTrue(chat.out().startsWith("[running tools…]" + System.lineSeparator() + "Tool said: {"), chat.out());

        Run json = cli("--test-message", "chan-json", "raw please", "--json");
        assertEquals(0, json.code(), json.err());
        List<JsonNode> frames = json.out().lines().map(Json::parse).toList();
        assertEquals("started", frames.getFirst().get("status").asText());
        assertEquals("completed", frames.getLast().get("status").asText());
        assertEquals("Echo: raw please", frames.getLast().get("message").asText());
        assertTrue(frames.getLast().get("message_id").asText().startsWith("test_msg_"));
    }

    @Test
    void test_message_exits_1_with_the_details_of_an_error_frame_or_when_no_answer_comes() throws Exception {
        AssistantStream service = runningAtWebsocketUrl();

        Run failed = cli("--test-message", "chan-err", "!failed");
        assertEquals(1, failed.code());
        assertTrue(failed.err().contains("Error: The assistant failed to answer (OpenAI response failed: The model "
                + "failed to generate a response. (server_error))"), failed.err());

        world.stop(service); // nothing consumes the queue now, but a subscriber can still connect elsewhere
        try (TestWorld elsewhere = TestWorld.create()) {
            AssistantStream other = elsewhere.start();
            world.set("websocket.url", "ws://127.0.0.1:" + other.port() + "/ws").set("openai.answer.timeout.ms", "500");
            Run silent = cli("--test-message", "chan-silent", "anyone?");
            assertEquals(1, silent.code());
            assertTrue(silent.err().contains("No answer within 1000 ms."), silent.err());
        }
    }
}
