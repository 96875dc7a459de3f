package io.assistantstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.Json;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cancels of a running service's answers, from {@code /ws}, {@code /admin} and the input queue, on
 * the instance that answers or another: the answer ends {@code cancelled} with the text so far and
 * is acknowledged; a message waiting in line ends the same way without a model call; a cancel of
 * what is not running says so; a cancel racing the answer's end leaves one terminal frame.
 */
class CancelTest {
    private static final String ADMIN = "admin-token-of-the-cancel-test";

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private long deadLetters() throws Exception {
        return world.rabbit().messageCount(world.deadLetterQueue());
    }

    @Test
    void a_running_answer_cancelled_from_ws_ends_cancelled_with_its_text_so_far_and_the_channel_answers_on()
            throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("c1");
            world.rabbit().publish("c1", "m1", "!words=400 !delay=20");
            client.awaitTexts("m1", 3);
            long sent = System.nanoTime();
            client.cancel("c1", "m1");
            List<JsonNode> rest = client.answer("m1");
            long millis = (System.nanoTime() - sent) / 1_000_000;
            JsonNode last = rest.getLast();
            assertEquals("cancelled", last.get("status").asText(), rest.toString());
            assertEquals("response", last.get("type").asText());
            assertTrue(rest.stream().anyMatch(frame -> "cancelling".equals(frame.path("type").asText())),
                    "the cancel is acknowledged: " + rest);
            String text = last.get("message").asText();
            assertTrue(text.startsWith("w1 w2 w3") && text.split(" ").length < 400, "the text so far: " + text);
            assertTrue(millis < 2_000, "cancelled within " + millis + " ms");
            System.out.println("cancel on the answering instance: cancelled frame after " + millis + " ms");

            world.rabbit().publish("c1", "m2", "and now?");
            assertEquals("completed", client.answer("m2").getLast().get("status").asText(),
                    "the conversation takes the next message");
        }
        assertEquals(0, deadLetters(), "a cancelled answer is acknowledged, not dead-lettered");
        assertEquals(0, world.rabbit().messageCount(world.queue()));
    }

    @Test
    void a_cancelled_assistants_run_is_cancelled_upstream_and_the_thread_takes_the_next_message() throws Exception {
        world.set("openai.api", "assistants");
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("c6");
            world.rabbit().publish("c6", "m1", "!words=400 !delay=20");
            client.awaitTexts("m1", 3);
            client.cancel("c6", "m1");
            assertEquals("cancelled", client.answer("m1").getLast().get("status").asText());
            assertEquals(1, world.openAi().requests().stream().filter(request -> request.path().endsWith("/cancel"))
                    .count(), "the run was cancelled upstream before the answer ended, not by the next message");
            world.rabbit().publish("c6", "m2", "and now?");
            assertEquals("completed", client.answer("m2").getLast().get("status").asText(),
                    "no run holds the thread: the next message is answered");
        }
        List<String> cancelled = world.openAi().requests().stream().map(request -> request.path())
                .filter(path -> path.endsWith("/cancel")).toList();
        assertEquals(1, cancelled.size(), "the run was cancelled upstream, once: " + cancelled);
        assertEquals(0, deadLetters());
    }

    @Test
    void a_cancel_stops_an_answer_whose_model_server_is_silent_at_once() throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("c5");
            world.rabbit().publish("c5", "m1", "!stall=20000 thinking hard");
            client.framesUntil(frame -> "started".equals(frame.path("status").asText()));
            Thread.sleep(200); // the answer now waits on the model server's silence
            long sent = System.nanoTime();
            client.cancel("c5", "m1");
            JsonNode last = client.answer("m1").getLast();
            long millis = (System.nanoTime() - sent) / 1_000_000;
            assertEquals("cancelled", last.get("status").asText());
            assertTrue(millis < 2_000, "not at the end of the silence: " + millis + " ms");
        }
        assertEquals(0, deadLetters());
    }

    @Test
    void cancels_reach_the_answer_on_another_instance_and_a_message_waiting_in_line_ends_without_a_model_call()
            throws Exception {
        world.set("admin.token", ADMIN);
        AssistantStream a = world.start();
        AssistantStream b = world.start();
        try (WsClient client = WsClient.connect(a.port())) {
            client.subscribe("c2");
            world.rabbit().publish("c2", "m1", "!words=400 !delay=20");
            client.awaitTexts("m1", 3); // m1 holds the channel: m2 waits in line behind it, on either instance
            world.rabbit().publish("c2", "m2", "second, waiting in line");
            HttpResponse<String> waiting = adminCancel(b, "c2", "m2"); // from the other instance's admin route
            for (int tries = 0; tries < 20 && waiting.statusCode() == 409; tries++) { // until m2 took its place
                Thread.sleep(50);
                waiting = adminCancel(b, "c2", "m2");
            }
            assertEquals(202, waiting.statusCode(), waiting.body());
            try (WsClient other = WsClient.connect(b.port())) { // and the running one from the other's /ws
                other.cancel("c2", "m1");
                assertEquals("cancelling", other.next().get("type").asText());
            }
            assertEquals("cancelled", client.answer("m1").getLast().get("status").asText());
            JsonNode second = client.answer("m2").getLast();
            assertEquals("cancelled", second.get("status").asText());
            assertEquals("", second.get("message").asText(), "no text: the model was never asked");
        }
        long asked = world.openAi().requests().stream()
                .filter(request -> request.path().endsWith("/responses") && request.json().toString().contains("second"))
                .count();
        assertEquals(0, asked, "the waiting message never reached the model");
        assertEquals(0, deadLetters());
    }

    private HttpResponse<String> adminCancel(AssistantStream service, String channel, String messageId) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort()
                        + "/admin/messages/cancel")).header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + channel + "\",\"message_id\":\""
                        + messageId + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void a_cancel_on_the_input_queue_stops_its_answer_and_what_is_not_running_is_said_so() throws Exception {
        world.set("admin.token", ADMIN);
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("c3");
            world.rabbit().publish("c3", "m1", "!words=400 !delay=20");
            client.awaitTexts("m1", 2);
            world.rabbit().publish("{\"channel\":\"c3\",\"message_id\":\"m1\",\"action\":\"cancel\"}");
            assertEquals("cancelled", client.answer("m1").getLast().get("status").asText());

            JsonNode finished = null;
            for (int tries = 0; tries < 20; tries++) { // finished now; its record goes just after its end is logged
                client.cancel("c3", "m1");
                finished = client.next();
                if (finished.has("code")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals("not_running", finished.get("code").asText(), finished.toString());
            client.cancel("c3", "never-sent");
            assertEquals("not_running", client.next().get("code").asText());
            HttpResponse<String> admin = adminCancel(service, "c3", "never-sent");
            assertEquals(409, admin.statusCode());
            assertEquals("not_running", Json.parse(admin.body()).get("code").asText());
        }
        assertEquals(0, deadLetters(), "the cancel itself is acknowledged too");
        assertEquals(0, world.rabbit().messageCount(world.queue()));
    }

    @Test
    void a_cancel_racing_the_answers_own_end_leaves_exactly_one_terminal_frame() throws Exception {
        AssistantStream service = world.start();
        List<String> endings = new ArrayList<>();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("c4");
            for (int i = 0; i < 20; i++) {
                String id = "race-" + i;
                world.rabbit().publish("c4", id, "!words=4 !delay=10");
                Thread.sleep(ThreadLocalRandom.current().nextInt(20, 90));
                client.cancel("c4", id);
                List<JsonNode> frames = client.answer(id);
                endings.add(frames.getLast().get("status").asText());
                for (Optional<JsonNode> more = client.poll(150); more.isPresent(); more = client.poll(150)) {
                    JsonNode extra = more.get();
                    assertTrue(!extra.path("final_message").asBoolean(), "a second terminal frame: " + extra);
                }
            }
        }
        assertTrue(endings.stream().allMatch(status -> status.equals("completed") || status.equals("cancelled")),
                endings.toString());
        System.out.println("cancel races: " + endings);
        assertEquals(0, deadLetters());
    }
}
