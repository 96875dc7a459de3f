package io.assistantstream.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.intake.Intake;
import io.assistantstream.store.AnsweredMessages;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thousand messages over 200 channels while faults come and go: Redis stopped and restarted
 * (twice), the RabbitMQ connection cut (twice), OpenAI failing, cutting streams and refusing
 * answers, a WebSocket client vanishing mid-answer and one that never reads. Every message must
 * end exactly once — completed, failed with an error frame, or (unreadable input) dead-lettered —
 * and none may be answered again once it completed.
 */
class SoakTest {
    private static final int CHANNELS = 200;
    private static final int MESSAGES = 1_000;
    private static final Duration SETTLE = Duration.ofMinutes(3);
    /** The faults take about 14 s; publishing (about 10 s) runs while they happen. */
    private static final Duration FAULTS_WAIT = Duration.ofSeconds(60);

    /** What a published message should end as. */
    private enum Expected { COMPLETED, ERROR, DEAD_LETTERED }

    /** A message sent, and how it may end. */
    private record Sent(String channel, Set<Expected> expected) {
    }

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    void a_thousand_messages_over_200_channels_under_faults_each_end_exactly_once() throws Exception {
        try (PrivateRedis redis = PrivateRedis.persistent(); TcpProxy rabbitLink = new TcpProxy(5672)) {
            world.set("redis.url", redis.url())
                    .set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:" + rabbitLink.port() + "/")
                    .set("websocket.send.queue.bytes", "16777216"); // room for the collector's bursts: it must never be dropped
            AssistantStream service = world.start();
            int threadsBefore = Thread.activeCount();
            long heapBefore = heapAfterGc();
            Random random = new Random(42);
            Map<String, Sent> published = new HashMap<>();

            try (WsClient collector = WsClient.connect(service.port());
                 WsClient neverReads = WsClient.connectNotReading(service.port())) {
                for (int c = 0; c < CHANNELS; c++) {
                    collector.subscribe("soak-" + c);
                }
                for (int c = 0; c < CHANNELS; c++) {
                    neverReads.send("{\"action\":\"subscribe\",\"channel\":\"soak-" + c + "\"}");
                }
                FutureTask<Void> faults = new FutureTask<>(() -> {
                    injectFaults(redis, rabbitLink, service);
                    return null;
                });
                Thread.ofVirtual().name("soak-faults").start(faults);
                try {
                    for (int i = 0; i < MESSAGES; i++) {
                        String channel = "soak-" + random.nextInt(CHANNELS);
                        String id = "s" + i;
                        int roll = random.nextInt(100);
                        if (roll < 3) {
                            world.rabbit().publish("{\"channel\":\"" + channel + "\",\"message_id\":\"" + id + "\"}");
                            published.put(id, new Sent(channel, Set.of(Expected.DEAD_LETTERED)));
                            continue;
                        }
                        String script = roll < 7 ? "!failed" : roll < 12 ? "!fail=500x1" : roll < 17 ? "!cut=2"
                                : roll < 20 ? "!fail=429msx1" : "";
                        world.rabbit().publish(channel, id, "soak " + i + " !words=8 !delay=5 " + script);
                        // a stream cut after text reached clients is not retried: that answer ends in an error, unless
                        // a fault sent the message back to the queue first and the next attempt (uncut) completed
                        published.put(id, new Sent(channel, script.equals("!failed") ? Set.of(Expected.ERROR)
                                : script.equals("!cut=2") ? Set.of(Expected.ERROR, Expected.COMPLETED)
                                : Set.of(Expected.COMPLETED)));
                        if (i % 50 == 0) {
                            Thread.sleep(200); // about ten seconds of publishing, while the faults happen
                        }
                    }
                    faults.get(FAULTS_WAIT.toSeconds(), TimeUnit.SECONDS); // a fault not made fails the test
                } finally {
                    faults.cancel(true); // stops the faults when publishing failed
                }

                Map<String, List<String>> seen = new HashMap<>();
                Outcomes outcomes = awaitOutcomes(world, redis, published, collector, seen);
                System.out.printf("soak: published = completed + errors + dead-lettered (invalid input): "
                                + "%d = %d + %d + %d%n",
                        published.size(), outcomes.completed, outcomes.errors, outcomes.deadLettered);
                List<String> wrong = published.entrySet().stream()
                        .filter(sent -> !sent.getValue().expected().contains(outcomes.actual().get(sent.getKey())))
                        .map(sent -> sent.getKey() + " on " + sent.getValue().channel() + ": expected "
                                + sent.getValue().expected() + ", ended " + outcomes.actual().get(sent.getKey()))
                        .toList();
                assertEquals(List.of(), wrong, "each message ended once, as its script says");
                assertEquals(published.size(), outcomes.completed + outcomes.errors + outcomes.deadLettered);

                assertTrue(!collector.isClosed(), "the collector saw every frame: it was never dropped");
                for (Map.Entry<String, List<String>> frames : seen.entrySet()) {
                    int completed = frames.getValue().indexOf("completed");
                    assertTrue(completed < 0 || !frames.getValue().subList(completed, frames.getValue().size())
                            .contains("started"), frames.getKey() + " was answered again after it completed: "
                            + frames.getValue());
                }
            }
            assertEquals(0, world.rabbit().messageCount(world.queue()), "nothing left in the queue");
            assertReadyAndIdle(service);
            long heapAfter = heapAfterGc();
            int threadsAfter = Thread.activeCount();
            System.out.printf("soak: platform threads %d -> %d, heap after GC %d -> %d MiB%n", threadsBefore,
                    threadsAfter, heapBefore >> 20, heapAfter >> 20);
            assertTrue(threadsAfter <= threadsBefore + 20, "platform threads " + threadsBefore + " → " + threadsAfter);
            assertTrue(heapAfter < heapBefore + (128L << 20), "heap " + (heapBefore >> 20) + " → " + (heapAfter >> 20)
                    + " MiB");
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        System.gc();
        Thread.sleep(300);
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /**
     * Redis down twice, RabbitMQ cut twice, a client that vanishes in the middle of answers. Throws when a
     * fault could not be made, which fails the test (the faults after it would never happen).
     */
    private static void injectFaults(PrivateRedis redis, TcpProxy rabbitLink, AssistantStream service)
            throws Exception {
        Thread.sleep(1_500);
        redis.stop();
        Thread.sleep(1_500);
        redis.start();
        Thread.sleep(1_500);
        rabbitLink.cutAll();
        Thread.sleep(1_000);
        try (WsClient vanishing = WsClient.connect(service.port())) { // closing it drops it without a goodbye
            for (int c = 0; c < 20; c++) {
                vanishing.send("{\"action\":\"subscribe\",\"channel\":\"soak-" + c + "\"}");
            }
            awaitSubscribed(vanishing, 20); // it is in the audience of the answers it vanishes from
            Thread.sleep(300);
        }
        Thread.sleep(1_500);
        redis.stop();
        Thread.sleep(1_000);
        redis.start();
        Thread.sleep(1_000);
        rabbitLink.cutAll();
    }

    /** Reads until {@code count} subscribes were acknowledged (frames may come in between); fails after 5 s. */
    private static void awaitSubscribed(WsClient client, int count) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int acknowledged = 0;
        while (acknowledged < count) {
            long left = Math.max(0, (until - System.nanoTime()) / 1_000_000);
            JsonNode message = client.poll(left).orElseThrow(() -> new AssertionError(
                    "the vanishing client's subscribes were not all acknowledged within 5 s"));
            if ("subscribed".equals(message.path("type").asText())) {
                acknowledged++;
            }
        }
    }

    /** How the messages ended, from the service's own record (Redis) and the dead-letter queue. */
    private record Outcomes(int completed, int errors, int deadLettered, Map<String, Expected> actual) {
    }

    private static Outcomes awaitOutcomes(TestWorld world, PrivateRedis redis, Map<String, Sent> published,
                                          WsClient collector, Map<String, List<String>> seen) throws Exception {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            AnsweredMessages answered = new AnsweredMessages(connection, world.prefix());
            Map<String, String> deadLettered = new HashMap<>(); // message id → the reason header
            long until = System.nanoTime() + SETTLE.toNanos();
            Map<String, Expected> actual = new HashMap<>();
            while (true) {
                for (Optional<JsonNode> frame; (frame = collector.poll(0)).isPresent(); ) {
                    seen.computeIfAbsent(frame.get().path("message_id").asText(), id -> new ArrayList<>())
                            .add(frame.get().path("status").asText());
                }
                for (var dead = world.rabbit().nextDeadLetter(); dead != null; dead = world.rabbit().nextDeadLetter()) {
                    deadLettered.put(Json.parse(new String(dead.getBody(), StandardCharsets.UTF_8)).path("message_id")
                            .asText(), String.valueOf(dead.getProps().getHeaders().get(Intake.REASON_HEADER)));
                }
                actual.clear();
                for (Map.Entry<String, Sent> sent : published.entrySet()) {
                    String id = sent.getKey();
                    if (answered.completedFrame(sent.getValue().channel(), id).isPresent()) {
                        actual.put(id, Expected.COMPLETED);
                    } else if (deadLettered.containsKey(id)) {
                        actual.put(id, deadLettered.get(id).startsWith("answer failed") ? Expected.ERROR
                                : Expected.DEAD_LETTERED);
                    }
                }
                if (actual.size() == published.size() || System.nanoTime() > until) {
                    break;
                }
                Thread.sleep(500);
            }
            int completed = (int) actual.values().stream().filter(Expected.COMPLETED::equals).count();
            int errors = (int) actual.values().stream().filter(Expected.ERROR::equals).count();
            return new Outcomes(completed, errors, actual.size() - completed - errors, actual);
        } finally {
            client.shutdown();
        }
    }

    private static void assertReadyAndIdle(AssistantStream service) throws Exception {
        Readiness.await(service.port(), 200, Duration.ofSeconds(20)); // ready again after the faults
        assertEquals(0, service.meters().answersInFlight().get(), "no answer left running");
    }
}
