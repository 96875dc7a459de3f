package io.assistantstream.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.intake.Intake;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.store.AnsweredMessages;
import io.assistantstream.testing.ChannelTranscript;
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
 * answers, a WebSocket client vanishing mid-answer and one that never reads; messages cancelled at
 * random moments, and second messages for a busy channel that are refused or interrupt the first.
 * Every message must end exactly once — completed, failed with an error frame, cancelled, refused as
 * its channel was busy (multitask policy {@code reject}), or (unreadable input) dead-lettered —
 * and none may be answered again once it completed. Meanwhile clients drop their connections at
 * random and come back with {@code since}: each must end with every completed message's whole text,
 * its deltas added up, every frame once and in order.
 */
class SoakTest {
    private static final int CHANNELS = 200;
    private static final int MESSAGES = 1_000;
    private static final Duration SETTLE = Duration.ofMinutes(3);
    /** The faults take about 14 s; publishing (about 10 s) runs while they happen. */
    private static final Duration FAULTS_WAIT = Duration.ofSeconds(60);

    /** What a published message should end as. */
    private enum Expected { COMPLETED, ERROR, CANCELLED, REJECTED, DEAD_LETTERED }

    /** Clients that drop their connection at random and resume; each follows a quarter of the channels. */
    private static final int RESUMERS = 4;

    /** A message sent, how it may end, and its text when it completes (null: it cannot). */
    private record Sent(String channel, Set<Expected> expected, String text) {
    }

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    void a_thousand_messages_over_200_channels_under_faults_each_end_exactly_once() throws Exception {
        try (PrivateRedis redis = PrivateRedis.persistent(); TcpProxy rabbitLink = new TcpProxy(5672)) {
            world.set("redis.url", redis.url())
                    .set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:" + rabbitLink.port() + "/")
                    .set("websocket.send.queue.bytes", "16777216") // room for the collector's bursts: it must never be dropped
                    .set("websocket.max.subscriptions", "1000"); // the collector watches all 200 channels at once
            AssistantStream service = world.start();
            int threadsBefore = Thread.activeCount();
            long heapBefore = heapAfterGc();
            Random random = new Random(42);
            Map<String, Sent> published = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicInteger cancelsLost = new java.util.concurrent.atomic.AtomicInteger();
            Set<String> interrupted = new java.util.HashSet<>(); // channels that had a message asking to interrupt

            List<Resumer> resumers = new ArrayList<>();
            try (WsClient collector = WsClient.connect(service.port());
                 WsClient neverReads = WsClient.connectNotReading(service.port())) {
                for (int c = 0; c < CHANNELS; c++) {
                    collector.subscribe("soak-" + c);
                }
                for (int c = 0; c < CHANNELS; c++) {
                    neverReads.send("{\"action\":\"subscribe\",\"channel\":\"soak-" + c + "\"}");
                }
                for (int r = 0; r < RESUMERS; r++) { // half of them in the delta format
                    List<String> theirs = new ArrayList<>();
                    for (int c = r; c < CHANNELS; c += RESUMERS) {
                        theirs.add("soak-" + c);
                    }
                    resumers.add(new Resumer(service.port(), theirs, r % 2 == 0, new Random(r)));
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
                            published.put(id, new Sent(channel, Set.of(Expected.DEAD_LETTERED), null));
                            continue;
                        }
                        if (roll < 8) { // cancelled at a random moment: while it waits, streams, or after it ended
                            world.rabbit().publish(channel, id, "soak " + i + " !words=30 !delay=10");
                            published.put(id, new Sent(channel, Set.of(Expected.CANCELLED, Expected.COMPLETED),
                                    text(30)));
                            long after = random.nextInt(400);
                            Thread.ofVirtual().name("soak-cancel").start(() -> {
                                try {
                                    Thread.sleep(after);
                                    world.rabbit().publish("{\"channel\":\"" + channel + "\",\"message_id\":\"" + id
                                            + "\",\"action\":\"cancel\"}");
                                } catch (Exception e) {
                                    cancelsLost.incrementAndGet(); // the connection was cut: that message completes
                                }
                            });
                            continue;
                        }
                        if (roll < 12) { // a second message while the channel answers a long one: refused, or it interrupts
                            boolean reject = roll < 10;
                            world.rabbit().publish(channel, id, "soak " + i + " !words=30 !delay=10");
                            published.put(id, new Sent(channel, reject ? Set.of(Expected.COMPLETED)
                                    : Set.of(Expected.CANCELLED, Expected.COMPLETED), text(30)));
                            String second = id + (reject ? "r" : "i");
                            world.rabbit().publish("{\"channel\":\"" + channel + "\",\"message_id\":\"" + second
                                    + "\",\"message\":\"soak " + i + " !words=6 !delay=5\",\"multitask\":\""
                                    + (reject ? "reject" : "interrupt") + "\"}");
                            if (!reject) {
                                interrupted.add(channel);
                            }
                            // refused unless the first ended already (a fault sent it back, and it came after)
                            published.put(second, new Sent(channel, reject ? Set.of(Expected.REJECTED, Expected.COMPLETED)
                                    : Set.of(Expected.COMPLETED), text(6)));
                            continue;
                        }
                        String script = roll < 16 ? "!failed" : roll < 19 ? "!fail=500x1" : roll < 23 ? "!cut=2"
                                : roll < 25 ? "!fail=429msx1" : "";
                        int words = 6 + i % 5; // eight on average; each message's text its own
                        world.rabbit().publish(channel, id, "soak " + i + " !words=" + words + " !delay=5 " + script);
                        // a stream cut after text reached clients is not retried: that answer ends in an error, unless
                        // a fault sent the message back to the queue first and the next attempt (uncut) completed
                        published.put(id, new Sent(channel, script.equals("!failed") ? Set.of(Expected.ERROR)
                                : script.equals("!cut=2") ? Set.of(Expected.ERROR, Expected.COMPLETED)
                                : Set.of(Expected.COMPLETED), text(words)));
                        if (i % 50 == 0) {
                            Thread.sleep(200); // about ten seconds of publishing, while the faults happen
                        }
                    }
                    faults.get(FAULTS_WAIT.toSeconds(), TimeUnit.SECONDS); // a fault not made fails the test
                    resumers.forEach(Resumer::settle); // the last connection of each stays
                } finally {
                    faults.cancel(true); // stops the faults when publishing failed
                }

                // An interrupting message cancels whatever of its channel is in flight when it comes: the first of its
                // pair, any other, and, when a fault sent it back to the queue, messages published after it.
                published.replaceAll((id, sent) -> !interrupted.contains(sent.channel())
                        || sent.expected().contains(Expected.DEAD_LETTERED) ? sent
                        : new Sent(sent.channel(), plus(sent.expected(), Expected.CANCELLED), sent.text()));
                Map<String, List<String>> seen = new HashMap<>();
                Outcomes outcomes = awaitOutcomes(world, redis, published, collector, seen);
                System.out.printf("soak: published = completed + errors + cancelled + rejected + dead-lettered (invalid "
                                + "input): %d = %d + %d + %d + %d + %d%n", published.size(), outcomes.completed,
                        outcomes.errors, outcomes.cancelled, outcomes.rejected, outcomes.deadLettered);
                List<String> wrong = published.entrySet().stream()
                        .filter(sent -> !sent.getValue().expected().contains(outcomes.actual().get(sent.getKey())))
                        .map(sent -> sent.getKey() + " on " + sent.getValue().channel() + ": expected "
                                + sent.getValue().expected() + ", ended " + outcomes.actual().get(sent.getKey()))
                        .toList();
                assertEquals(List.of(), wrong, "each message ended once, as its script says");
                assertEquals(published.size(), outcomes.completed + outcomes.errors + outcomes.cancelled
                        + outcomes.rejected + outcomes.deadLettered);
                assertTrue(outcomes.cancelled > 0, "some cancels and interruptions stopped their answer");
                assertTrue(outcomes.rejected > 0, "some messages were refused as their channel was busy");

                assertTrue(!collector.isClosed(), "the collector saw every frame: it was never dropped");
                for (Map.Entry<String, List<String>> frames : seen.entrySet()) {
                    int completed = Math.max(frames.getValue().indexOf("completed"), frames.getValue().indexOf("cancelled"));
                    assertTrue(completed < 0 || !frames.getValue().subList(completed, frames.getValue().size())
                            .contains("started"), frames.getKey() + " was answered again after it completed: "
                            + frames.getValue());
                }
                assertResumersEndedWithEveryText(resumers, published, outcomes.actual());
            } finally {
                resumers.forEach(Resumer::close);
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

    private static Set<Expected> plus(Set<Expected> expected, Expected more) {
        java.util.EnumSet<Expected> all = java.util.EnumSet.copyOf(expected);
        all.add(more);
        return all;
    }

    /** The fake's answer of {@code words} words. */
    private static String text(int words) {
        return IntStream.rangeClosed(1, words).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    /**
     * Each resumer, connected for good now, gets the completed frame of every message that completed on
     * its channels (bounded wait), and ends with its whole text: its deltas added up, each frame once and
     * in order.
     */
    private static void assertResumersEndedWithEveryText(List<Resumer> resumers, Map<String, Sent> published,
                                                         Map<String, Expected> actual) throws Exception {
        Map<String, Sent> completed = new HashMap<>();
        published.forEach((id, sent) -> {
            if (actual.get(id) == Expected.COMPLETED) {
                completed.put(id, sent);
            }
        });
        for (Resumer resumer : resumers) {
            List<String> wrong = Readiness.poll(TestWorld.timeout(), Duration.ofMillis(100),
                    () -> resumer.wrongTexts(completed), List::isEmpty);
            Resumer.Report report = resumer.report();
            System.out.printf("soak: resumer (%s) resumed %d times (%d after an error reply), %d not recovered, "
                            + "%d gaps%n", report.delta() ? "delta" : "whole", report.resumes(), report.afterError(),
                    report.notRecovered(), report.gaps());
            assertEquals(List.of(), wrong, "a resumer ends with the completed text of every message");
            assertEquals(List.of(), report.problems(), "a resumer gets each frame once, in order, its text whole");
            assertEquals(0, report.notRecovered(), "the log reached back to every resume");
            assertTrue(report.resumes() >= 5, "the resumer came back " + report.resumes() + " times");
        }
    }

    /**
     * A client of some channels that drops its connection at random (after 0.2 to 1.5 s) and comes back
     * (after up to 0.3 s) subscribing each again with the seq of the last frame it has of it; after an
     * error reply (a subscribe or replay that Redis could not serve) it comes back at once. Once told to
     * settle it keeps its connection. Its own virtual thread reads; the transcripts are read under its lock.
     */
    private static final class Resumer implements AutoCloseable {
        record Report(boolean delta, int resumes, int afterError, int notRecovered, long gaps, List<String> problems) {
        }

        private final int port;
        private final boolean delta;
        private final Random random;
        private final Map<String, ChannelTranscript> transcripts = new LinkedHashMap<>();
        private final Thread thread;
        private final List<String> failures = new ArrayList<>();
        private volatile boolean settled;
        private int resumes;
        private int afterError;
        private int notRecovered;

        Resumer(int port, List<String> channels, boolean delta, Random random) {
            this.port = port;
            this.delta = delta;
            this.random = random;
            channels.forEach(channel -> transcripts.put(channel, new ChannelTranscript(channel, delta)));
            this.thread = Thread.ofVirtual().name("soak-resumer").start(this::run);
        }

        private void run() {
            boolean first = true;
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    boolean failed;
                    try (WsClient client = WsClient.connect(port)) {
                        Map<String, Long> since = new HashMap<>();
                        synchronized (this) {
                            if (!first) {
                                resumes++;
                            }
                            for (ChannelTranscript transcript : transcripts.values()) {
                                since.put(transcript.channel(), transcript.lastSeq());
                            }
                        }
                        for (Map.Entry<String, Long> channel : since.entrySet()) {
                            client.send(WsClient.subscribeCommand(channel.getKey(), channel.getValue(),
                                    delta ? "delta" : null));
                        }
                        first = false;
                        failed = read(client, since, System.nanoTime()
                                + Duration.ofMillis(200 + random.nextInt(1300)).toNanos());
                    }
                    synchronized (this) {
                        if (failed) {
                            afterError++;
                        }
                    }
                    Thread.sleep(failed ? 100 : random.nextInt(300)); // away for a while, as after a network change
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception | AssertionError e) {
                synchronized (this) {
                    failures.add("the resumer failed: " + e);
                }
            }
        }

        /** Reads until {@code until} (for ever once settled); true when it stopped on an error reply. */
        private boolean read(WsClient client, Map<String, Long> since, long until) throws InterruptedException {
            while (settled || System.nanoTime() < until) {
                Optional<JsonNode> next = client.poll(settled ? 100
                        : Math.max(1, (until - System.nanoTime()) / 1_000_000));
                if (next.isEmpty()) {
                    if (client.isClosed()) {
                        return true;
                    }
                    continue;
                }
                JsonNode message = next.get();
                String type = message.path("type").asText();
                if (type.equals("error") && !message.has("seq")) { // a reply, not an error frame
                    return true; // come back, with since, for what this connection could not give
                }
                synchronized (this) {
                    ChannelTranscript transcript = transcripts.get(message.path("channel").asText());
                    if (transcript == null) {
                        failures.add("a message of a channel not subscribed to: " + message);
                    } else if (type.equals("subscribed")) {
                        transcript.subscribed(message, since.get(transcript.channel()));
                        if (!message.path("recovered").asBoolean(false)) {
                            notRecovered++;
                        }
                    } else {
                        transcript.add(message);
                    }
                }
            }
            return false;
        }

        /** Stops dropping the connection: the one open now (or the next) stays. */
        void settle() {
            settled = true;
        }

        /** The messages among {@code completed} on its channels whose completed text it does not have (yet). */
        synchronized List<String> wrongTexts(Map<String, Sent> completed) {
            List<String> wrong = new ArrayList<>();
            completed.forEach((id, sent) -> {
                ChannelTranscript transcript = transcripts.get(sent.channel());
                if (transcript != null && !sent.text().equals(transcript.completedText(id).orElse(null))) {
                    wrong.add(id + " on " + sent.channel() + ": expected \"" + sent.text() + "\", got \""
                            + transcript.completedText(id).orElse(null) + "\"");
                }
            });
            return wrong;
        }

        synchronized Report report() {
            List<String> problems = new ArrayList<>(failures);
            long gaps = 0;
            for (ChannelTranscript transcript : transcripts.values()) {
                problems.addAll(transcript.problems());
                transcript.unverified().forEach(id -> problems.add(id + " completed with its text unknown"));
                gaps += transcript.gaps().size();
            }
            return new Report(delta, resumes, afterError, notRecovered, gaps, problems);
        }

        @Override
        public void close() {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
    private record Outcomes(int completed, int errors, int cancelled, int rejected, int deadLettered,
                            Map<String, Expected> actual) {
    }

    private static Outcomes awaitOutcomes(TestWorld world, PrivateRedis redis, Map<String, Sent> published,
                                          WsClient collector, Map<String, List<String>> seen) throws Exception {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            AnsweredMessages answered = new AnsweredMessages(RedisConnection.of(connection), KeySpace.standalone(world.prefix()), Duration.ofMinutes(5));
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
                    Optional<String> ended = answered.completedFrame(sent.getValue().channel(), id);
                    if (ended.isPresent()) { // the record of a message that completed, was cancelled or refused
                        actual.put(id, ended.get().contains("\"status\":\"cancelled\"") ? Expected.CANCELLED
                                : ended.get().contains("\"error_code\":\"channel_busy\"") ? Expected.REJECTED
                                : Expected.COMPLETED);
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
            int cancelled = (int) actual.values().stream().filter(Expected.CANCELLED::equals).count();
            int rejected = (int) actual.values().stream().filter(Expected.REJECTED::equals).count();
            return new Outcomes(completed, errors, cancelled, rejected,
                    actual.size() - completed - errors - cancelled - rejected, actual);
        } finally {
            client.shutdown();
        }
    }

    private static void assertReadyAndIdle(AssistantStream service) throws Exception {
        Readiness.await(service.port(), 200, Duration.ofSeconds(20)); // ready again after the faults
        assertEquals(0, service.meters().answersInFlight().get(), "no answer left running");
    }
}
