package io.assistantstream.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.intake.Intake;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lease lost while its answer streams: the instance answering is cut off from Redis for its lease's
 * renewals only (its frames still get through), long enough for the lease to lapse. The answer stops,
 * its message goes back to the queue, and it is answered once, from the start; the channel's log never
 * shows a frame of the stale answer after the new one began.
 */
class LostLeaseTest {
    private static final int WORDS = 120;

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    void an_answer_whose_lease_lapsed_while_its_renewals_stalled_stops_and_its_message_is_answered_once_in_the_end()
            throws Exception {
        world.set("channel.lease.ms", "1500");
        String line = world.prefix() + "lease:lapse";
        try (TcpProxy proxy = new TcpProxy(6379); LogWatch intake = LogWatch.of(Intake.class.getName())) {
            String direct = world.get("redis.url");
            world.set("redis.url", "redis://127.0.0.1:" + proxy.port() + "/0");
            world.start(); // its first Redis connection, the commands', carries the lease and its renewals
            world.set("redis.url", direct);

            world.rabbit().publish("lapse", "m", "!words=" + WORDS + " !delay=70"); // 8.4 s
            awaitLogged(5); // it streams: started, responding and the first words are logged
            proxy.stall(0); // its renewals no longer reach Redis; its frames still do
            world.start(); // another instance, reaching Redis directly, which may take the channel

            assertTrue(intake.await("Lost the lease of channel lapse", Duration.ofSeconds(10)),
                    "the answering instance said it lost the lease: " + intake.lines());
            double lostAt = System.currentTimeMillis() / 1000.0;
            String stale = world.redis().lindex(line, 0);
            long until = System.nanoTime() + TestWorld.timeout().toNanos();
            while (stale != null && world.redis().exists(world.prefix() + "lease-alive:" + stale) == 1) {
                assertTrue(System.nanoTime() < until, "the stalled holder's lease never lapsed in Redis");
                Thread.sleep(20);
            }
            proxy.release(); // what it held reaches Redis late: renewals, the lease's release

            List<JsonNode> frames = awaitCompleted(Duration.ofSeconds(60));
            int restart = lastIndexOf(frames, "started");
            assertTrue(restart > 0, "the stale answer began before the new one: " + statuses(frames));
            List<JsonNode> staleFrames = frames.subList(0, restart);
            List<JsonNode> answer = frames.subList(restart, frames.size());
            for (JsonNode frame : staleFrames) {
                assertFalse(frame.get("status").asText().equals("completed") || frame.get("status").asText()
                        .equals("error"), "the stale answer did not end: " + statuses(frames));
                assertTrue(frame.get("timestamp").asDouble() <= lostAt,
                        "no frame of the stale answer was made after it lost its lease: " + frame);
            }

            double again = answer.getFirst().get("timestamp").asDouble() - lostAt;
            assertTrue(again < 4, "the stale answer stopped reading its stream at once and went back to the queue;"
                    + " it was answered again " + again + " s after the lease was lost, not when the stream ended");

            // from its started frame on, the new answer is whole and alone: no stale frame came after it
            List<String> expected = new ArrayList<>(List.of("started", "responding"));
            expected.addAll(IntStream.range(0, WORDS).mapToObj(i -> "in_progress").toList());
            expected.add("completed");
            assertEquals(expected, statuses(answer));
            String text = IntStream.rangeClosed(1, WORDS).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
            assertEquals(text, answer.stream().filter(frame -> frame.has("delta"))
                    .map(frame -> frame.get("delta").asText()).collect(Collectors.joining()));
            assertEquals(text, answer.getLast().get("message").asText());

            assertEquals(2, world.openAi().requests().stream().filter(r -> r.path().equals("/v1/responses")).count(),
                    "asked twice: the stale answer, stopped, and the one that completed");
            awaitEmpty(world.queue());
            assertEquals(0, world.rabbit().messageCount(world.deadLetterQueue()), "nothing dead-lettered");
        }
    }

    /** The frames of the channel's log, in seq order. */
    private List<JsonNode> logged() {
        List<JsonNode> frames = new ArrayList<>();
        for (StreamMessage<String, String> entry : world.redis().xrange(world.prefix() + "log:lapse",
                Range.create("-", "+"))) {
            String seq = entry.getId().substring(0, entry.getId().indexOf('-'));
            frames.add(Json.parse("{\"seq\":" + seq + entry.getBody().get("f")));
        }
        return frames;
    }

    private void awaitLogged(int count) throws InterruptedException {
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (logged().size() < count) {
            assertTrue(System.nanoTime() < until, "fewer than " + count + " frames logged: " + statuses(logged()));
            Thread.sleep(20);
        }
    }

    private List<JsonNode> awaitCompleted(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<JsonNode> frames = logged();
            if (frames.stream().anyMatch(frame -> frame.get("status").asText().equals("completed"))) {
                Thread.sleep(500); // anything that would still come after it
                return logged();
            }
            assertTrue(System.nanoTime() < until, "never completed: " + statuses(frames));
            Thread.sleep(50);
        }
    }

    private void awaitEmpty(String queue) throws Exception {
        long until = System.nanoTime() + TestWorld.timeout().toNanos();
        while (world.rabbit().messageCount(queue) > 0) {
            assertTrue(System.nanoTime() < until, queue + " kept its message");
            Thread.sleep(50);
        }
    }

    private static int lastIndexOf(List<JsonNode> frames, String status) {
        for (int i = frames.size() - 1; i >= 0; i--) {
            if (frames.get(i).get("status").asText().equals(status)) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> statuses(List<JsonNode> frames) {
        return frames.stream().map(frame -> frame.get("status").asText()).toList();
    }
}
