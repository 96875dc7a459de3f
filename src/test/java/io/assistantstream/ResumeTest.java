package io.assistantstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.KillArgs;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.frames.FrameLog;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.testing.ChannelTranscript;
import io.assistantstream.testing.PrivateRedis;
import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.TcpProxy;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that come back: a subscribe with {@code since} gets every frame of the channel after that
 * seq, then live frames, each once and in order, from whichever instance it reaches; the delta
 * format; and seqs across instances. Real service instances on the real Redis and RabbitMQ (a private
 * Redis where a connection is broken), the fake OpenAI answering {@code w1 w2 …} one word per frame.
 * Every client's frames go through a {@link ChannelTranscript}, which checks each seq once and in
 * order, no gap but coalesced {@code in_progress} frames, and each text its deltas added up.
 */
class ResumeTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    /** Two instances on one queue and one Redis prefix, and which of them answers the message in flight. */
    private record Pair(AssistantStream answering, AssistantStream other) {
    }

    @Test
    void a_client_that_drops_mid_answer_and_resumes_on_another_instance_ends_with_the_whole_answer_each_seq_once()
            throws Exception {
        Pair instances = twoInstancesAnswering("resume", "m1", 40, 50);
        ChannelTranscript seen = new ChannelTranscript("resume", false);
        try (WsClient first = WsClient.connect(instances.answering().port())) {
            subscribe(first, seen, 0L);
            readInProgress(first, seen, 5);
        }
        long had = seen.lastSeq();
        awaitLogged("resume", had + 5); // the answer went on without the client

        List<JsonNode> afterResume;
        try (WsClient second = WsClient.connect(instances.other().port())) {
            assertTrue(subscribe(second, seen, had).path("recovered").asBoolean(), "the log reaches back");
            afterResume = readUntil(second, seen, completes("m1"));
        }
        assertEnded(seen, "m1", 40);
        assertTrue(words(afterResume.getFirst()) >= 5, "the missed frames come first, coalesced: " + afterResume);
        assertTrue(afterResume.stream().skip(1).anyMatch(frame -> words(frame) == 1),
                "then live frames, one word each (the resume was mid-answer): " + afterResume);
    }

    @Test
    void a_page_reloaded_mid_answer_gets_with_since_0_the_text_so_far_in_one_frame_then_the_rest() throws Exception {
        Pair instances = twoInstancesAnswering("reload", "m1", 40, 50);
        awaitLogged("reload", 8); // started, responding and six words

        // on the instance answering: frames it has sent and Redis may not have logged yet count too
        ChannelTranscript seen = new ChannelTranscript("reload", false);
        List<JsonNode> frames;
        try (WsClient page = WsClient.connect(instances.answering().port())) {
            assertTrue(subscribe(page, seen, 0L).path("recovered").asBoolean());
            frames = readUntil(page, seen, completes("m1"));
        }
        assertEnded(seen, "m1", 40);
        assertEquals(List.of("started", "responding", "in_progress"), statuses(frames.subList(0, 3)));
        JsonNode soFar = frames.get(2);
        assertEquals(soFar.get("delta"), soFar.get("message"), "one frame, all the text so far: " + soFar);
        assertTrue(words(soFar) >= 6 && text(40).startsWith(soFar.get("message").asText()), soFar.toString());
        assertTrue(frames.stream().skip(3).anyMatch(frame -> words(frame) == 1), "then live frames: " + frames);
    }

    @Test
    void a_page_reloaded_after_the_answer_gets_with_since_0_the_whole_answer_once() throws Exception {
        Pair instances = twoInstancesAnswering("reloaded", "m1", 12, 10);
        try (WsClient before = WsClient.connect(instances.answering().port())) {
            ChannelTranscript earlier = new ChannelTranscript("reloaded", false);
            subscribe(before, earlier, 0L);
            readUntil(before, earlier, completes("m1"));
        }

        ChannelTranscript seen = new ChannelTranscript("reloaded", false);
        try (WsClient page = WsClient.connect(instances.other().port())) {
            assertTrue(subscribe(page, seen, 0L).path("recovered").asBoolean());
            List<JsonNode> replayed = readUntil(page, seen, completes("m1"));
            assertEquals(List.of("started", "responding", "in_progress", "completed"), statuses(replayed));
            assertEquals(text(12), replayed.get(2).get("message").asText());
            assertEquals(text(12), replayed.get(2).get("delta").asText());

            world.rabbit().publish("reloaded", "m2", script(3, 10)); // nothing of m1 comes again before it
            List<JsonNode> next = readUntil(page, seen, completes("m2"));
            assertEquals("m2", next.getFirst().get("message_id").asText(), next.toString());
        }
        assertEnded(seen, "m1", 12);
        assertEnded(seen, "m2", 3);
    }

    @Test
    void a_page_subscribing_with_since_0_before_a_channels_first_frame_is_told_nothing_was_lost() throws Exception {
        try (TcpProxy toOpenAi = new TcpProxy(world.openAi().port())) {
            AssistantStream service = world.set("openai.base.url", "http://127.0.0.1:" + toOpenAi.port() + "/v1")
                    .start();
            toOpenAi.holdNew(true); // the answer waits for its conversation: its turn has begun, no frame is out yet
            world.rabbit().publish("first", "m1", script(10, 10));
            String seqKey = FrameLog.seqKey(KeySpace.standalone(world.prefix()), "first");
            String reserved = Readiness.poll(TestWorld.timeout(), Duration.ofMillis(10),
                    () -> world.redis().get(seqKey), value -> value != null);
            assertNotNull(reserved, "the answer's turn did not begin");

            ChannelTranscript seen = new ChannelTranscript("first", false);
            try (WsClient page = WsClient.connect(service.port())) {
                JsonNode ack;
                try {
                    ack = subscribe(page, seen, 0L);
                } finally {
                    toOpenAi.holdNew(false);
                }
                assertTrue(ack.path("recovered").asBoolean(), "the channel has no frame yet, none was lost: " + ack);
                readUntil(page, seen, completes("m1"));
            }
            assertEnded(seen, "m1", 10);
        }
    }

    @Test
    void a_client_resuming_after_frames_were_trimmed_from_the_log_is_told_and_still_ends_with_the_whole_answer()
            throws Exception {
        world.set("frame.log.max.frames", "5");
        AssistantStream service = world.start();
        ChannelTranscript seen = new ChannelTranscript("trimmed", false);
        try (WsClient first = WsClient.connect(service.port())) {
            subscribe(first, seen, null);
            world.rabbit().publish("trimmed", "m1", script(40, 40));
            readInProgress(first, seen, 3);
        }
        long had = seen.lastSeq();
        awaitLogged("trimmed", had + 10); // more frames than the log keeps came meanwhile

        try (WsClient second = WsClient.connect(service.port())) {
            assertFalse(subscribe(second, seen, had).path("recovered").asBoolean(true),
                    "the frames after " + had + " are not all in the log");
            readUntil(second, seen, completes("m1"));
        }
        assertEnded(seen, "m1", 40); // the next whole-text frame brings the text missed
    }

    @Test
    void a_subscriber_whose_hub_loses_its_pub_sub_connection_while_the_answer_ends_elsewhere_misses_no_frame()
            throws Exception {
        try (PrivateRedis redis = new PrivateRedis();
             RedisClient admin = RedisClient.create(redis.url());
             StatefulRedisConnection<String, String> kills = admin.connect()) {
            world.set("redis.url", redis.url());
            AtomicBoolean outage = new AtomicBoolean();
            AtomicLong killed = new AtomicLong();
            Thread killer = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    if (outage.get()) { // each time lettuce is back, its pub/sub connection is killed again
                        killed.addAndGet(kills.sync().clientKill(KillArgs.Builder.typePubsub()));
                    }
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            });
            try {
                assertListenerMissesNothing(world.start(), world.start(), listener -> outage.set(true),
                        () -> outage.set(false));
            } finally {
                killer.interrupt();
                killer.join(TestWorld.timeout().toMillis());
            }
            assertTrue(killed.get() > 0, "pub/sub connections were killed");
        }
    }

    @Test
    void a_subscriber_whose_instance_loses_redis_while_the_answer_ends_elsewhere_misses_no_frame_though_its_first_read_of_the_log_fails()
            throws Exception {
        try (PrivateRedis redis = new PrivateRedis();
             TcpProxy linkA = new TcpProxy(redis.port());
             TcpProxy linkB = new TcpProxy(redis.port())) {
            AssistantStream a = world.set("redis.url", "redis://127.0.0.1:" + linkA.port() + "/0").start();
            AssistantStream b = world.set("redis.url", "redis://127.0.0.1:" + linkB.port() + "/0").start();
            TcpProxy[] link = new TcpProxy[1];
            assertListenerMissesNothing(a, b, listener -> {
                link[0] = listener == a ? linkA : linkB;
                link[0].cutWhenSent("EVAL"); // the log is read by a script: the first read after the outage fails
                link[0].refuse(true); // every connection of the listener's instance, pub/sub included
            }, () -> {
                link[0].refuse(false);
                try {
                    int cuts = Readiness.poll(TestWorld.timeout(), Duration.ofMillis(10), link[0]::cutsWhenSent,
                            count -> count > 0);
                    assertTrue(cuts > 0, "the listener's instance never read the log after the outage");
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    link[0].cutWhenSent(null); // the next read of the log goes through
                }
            });
        }
    }

    @Test
    void delta_and_whole_text_clients_on_two_instances_each_get_their_format_and_the_same_answer() throws Exception {
        AssistantStream a = world.start();
        AssistantStream b = world.start();
        List<ChannelTranscript> live = new ArrayList<>();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (AssistantStream instance : List.of(a, b)) {
                for (boolean delta : List.of(true, false)) {
                    WsClient client = WsClient.connect(instance.port());
                    clients.add(client);
                    ChannelTranscript seen = new ChannelTranscript("formats", delta);
                    JsonNode ack = client.subscribe("formats", null, delta ? "delta" : "whole");
                    seen.subscribed(ack, null);
                    assertFalse(ack.has("recovered"), "a live subscribe is acknowledged without recovered: " + ack);
                    live.add(seen);
                }
            }
            world.rabbit().publish("formats", "m1", script(20, 30));
            readInProgress(clients.getFirst(), live.getFirst(), 5);
            // resuming in the delta format too, on both instances: the one answering and the other
            for (AssistantStream instance : List.of(a, b)) {
                ChannelTranscript resumed = new ChannelTranscript("formats", true);
                try (WsClient late = WsClient.connect(instance.port())) {
                    subscribe(late, resumed, 0L);
                    List<JsonNode> replayed = readUntil(late, resumed, completes("m1"));
                    assertTrue(words(replayed.get(2)) >= 5 && !replayed.get(2).has("message"), replayed.toString());
                }
                assertEnded(resumed, "m1", 20);
            }
            for (int i = 0; i < clients.size(); i++) {
                readUntil(clients.get(i), live.get(i), completes("m1"));
            }
        } finally {
            clients.forEach(WsClient::close);
        }
        for (ChannelTranscript seen : live) {
            assertEnded(seen, "m1", 20);
            assertEquals(seqs(live.getFirst()), seqs(seen), "every client sees every frame, once");
        }
        ChannelTranscript delta = live.getFirst();
        ChannelTranscript whole = live.get(1);
        assertTrue(delta.frames().stream().anyMatch(frame -> frame.path("status").asText().equals("in_progress")));
        assertEquals(notInProgress(whole), notInProgress(delta), "frames other than in_progress are the same");
    }

    @Test
    void seqs_keep_increasing_without_gaps_when_two_instances_answer_one_channel_in_turn() throws Exception {
        world.set("worker.concurrency", "1"); // prefetch 1: the deliveries alternate between the instances
        AssistantStream a = world.start();
        AssistantStream b = world.start();
        int messages = 8;
        List<ChannelTranscript> seen = List.of(new ChannelTranscript("turns", false),
                new ChannelTranscript("turns", true));
        try (WsClient onA = WsClient.connect(a.port()); WsClient onB = WsClient.connect(b.port())) {
            List<WsClient> clients = List.of(onA, onB);
            for (int c = 0; c < clients.size(); c++) {
                subscribe(clients.get(c), seen.get(c), null);
            }
            for (int i = 1; i <= messages; i++) {
                world.rabbit().publish("turns", "t" + i, script(4, 20));
            }
            for (int c = 0; c < clients.size(); c++) {
                Set<String> pending = IntStream.rangeClosed(1, messages).mapToObj(i -> "t" + i)
                        .collect(Collectors.toCollection(HashSet::new));
                readUntil(clients.get(c), seen.get(c), frame -> pending.remove(completedId(frame)) && pending.isEmpty());
            }
        }
        assertTrue(a.meters().deliveriesCompleted().count() > 0 && b.meters().deliveriesCompleted().count() > 0,
                "both instances answered: " + a.meters().deliveriesCompleted().count() + " and "
                        + b.meters().deliveriesCompleted().count());
        for (ChannelTranscript transcript : seen) {
            for (int i = 1; i <= messages; i++) {
                assertEnded(transcript, "t" + i, 4);
            }
            assertAnswersAreBlocks(transcript);
        }
        assertEquals(seqs(seen.get(0)), seqs(seen.get(1)));
    }

    // --- steps ---

    /**
     * Two instances: a message is answered on one; a client of the other (the listener) follows it from
     * the start, and once five words came the listener's instance has an outage that lasts until the
     * answer ended (a client of the answering instance says when). The listener must then get the rest.
     */
    private void assertListenerMissesNothing(AssistantStream a, AssistantStream b, Consumer<AssistantStream> outage,
                                             Runnable over) throws Exception {
        world.rabbit().publish("broken", "m1", script(60, 30));
        Pair instances = answering(a, b);
        ChannelTranscript witnessed = new ChannelTranscript("broken", false);
        ChannelTranscript seen = new ChannelTranscript("broken", false);
        try (WsClient witness = WsClient.connect(instances.answering().port());
             WsClient listener = WsClient.connect(instances.other().port())) {
            subscribe(witness, witnessed, 0L);
            subscribe(listener, seen, 0L);
            readInProgress(listener, seen, 5);
            outage.accept(instances.other());
            try {
                readUntil(witness, witnessed, completes("m1")); // the rest of the answer goes out meanwhile
            } finally {
                over.run();
            }
            readUntil(listener, seen, completes("m1"));
        }
        assertEnded(witnessed, "m1", 60);
        assertEnded(seen, "m1", 60);
    }

    /** Starts two instances, publishes an answer of {@code words} words, one each {@code delayMs}; who answers it. */
    private Pair twoInstancesAnswering(String channel, String messageId, int words, int delayMs) throws Exception {
        AssistantStream a = world.start();
        AssistantStream b = world.start();
        world.rabbit().publish(channel, messageId, script(words, delayMs));
        return answering(a, b);
    }

    /** Which of the two instances is answering now; fails when neither takes the message in time. */
    private static Pair answering(AssistantStream a, AssistantStream b) throws Exception {
        AssistantStream answering = Readiness.poll(TestWorld.timeout(), Duration.ofMillis(5),
                () -> a.meters().answersInFlight().get() > 0 ? a : b.meters().answersInFlight().get() > 0 ? b : null,
                instance -> instance != null);
        assertNotNull(answering, "neither instance took the message");
        return new Pair(answering, answering == a ? b : a);
    }

    private static String script(int words, int delayMs) {
        return "!words=" + words + " !delay=" + delayMs;
    }

    /** The fake's answer of {@code words} words. */
    private static String text(int words) {
        return IntStream.rangeClosed(1, words).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    /** Subscribes {@code client} in the transcript's format, with {@code since}; the acknowledgement. */
    private static JsonNode subscribe(WsClient client, ChannelTranscript seen, Long since) throws Exception {
        JsonNode ack = client.subscribe(seen.channel(), since, seen.delta() ? "delta" : null);
        seen.subscribed(ack, since);
        return ack;
    }

    /** Reads frames into {@code seen} up to the first that matches {@code last}; the frames read. */
    private static List<JsonNode> readUntil(WsClient client, ChannelTranscript seen, Predicate<JsonNode> last)
            throws InterruptedException {
        List<JsonNode> frames = new ArrayList<>();
        JsonNode frame;
        do {
            frame = client.next();
            frames.add(frame);
            seen.add(frame);
        } while (!last.test(frame));
        return frames;
    }

    /** Reads frames into {@code seen} until {@code count} {@code in_progress} frames came on this connection. */
    private static void readInProgress(WsClient client, ChannelTranscript seen, int count) throws InterruptedException {
        int[] left = {count};
        readUntil(client, seen, frame -> frame.path("status").asText().equals("in_progress") && --left[0] == 0);
    }

    private static Predicate<JsonNode> completes(String messageId) {
        return frame -> messageId.equals(completedId(frame));
    }

    /** The message id of a {@code completed} frame; null for any other. */
    private static String completedId(JsonNode frame) {
        return frame.path("status").asText().equals("completed") ? frame.path("message_id").asText() : null;
    }

    /** Waits until the channel's frame log in the shared Redis holds frame {@code seq}. */
    private void awaitLogged(String channel, long seq) throws Exception {
        String log = FrameLog.logKey(KeySpace.standalone(world.prefix()), channel);
        long newest = Readiness.poll(TestWorld.timeout(), Duration.ofMillis(10), () -> {
            List<StreamMessage<String, String>> last = world.redis().xrevrange(log, Range.create("-", "+"),
                    Limit.from(1));
            return last.isEmpty() ? 0L : Long.parseLong(last.getFirst().getId().split("-")[0]);
        }, logged -> logged >= seq);
        assertTrue(newest >= seq, "the log of " + channel + " reached " + newest + ", not " + seq);
    }

    /** Each seq once and in order, no gap, and the message ended with its whole text, its deltas added up. */
    private static void assertEnded(ChannelTranscript seen, String messageId, int words) {
        assertEquals(List.of(), seen.problems(), seen.toString());
        assertEquals(List.of(), seen.gaps(), seen.toString());
        assertEquals(List.of(), seen.unverified(), seen.toString());
        assertEquals(text(words), seen.completedText(messageId).orElse(null), seen.toString());
    }

    /** Each message's frames are one block from {@code started} to {@code completed}. */
    private static void assertAnswersAreBlocks(ChannelTranscript seen) {
        List<JsonNode> frames = seen.frames();
        for (int i = 0; i < frames.size(); i++) {
            JsonNode frame = frames.get(i);
            boolean starts = i == 0 || completedId(frames.get(i - 1)) != null;
            assertEquals(starts, frame.path("status").asText().equals("started"), "answers one after another: " + seen);
            if (!starts) {
                assertEquals(frames.get(i - 1).path("message_id").asText(), frame.path("message_id").asText(),
                        "answers one after another: " + seen);
            }
        }
        assertEquals("completed", frames.getLast().path("status").asText(), seen.toString());
    }

    private static List<String> statuses(List<JsonNode> frames) {
        return frames.stream().map(frame -> frame.path("status").asText()).toList();
    }

    private static List<Long> seqs(ChannelTranscript seen) {
        return seen.frames().stream().map(frame -> frame.get("seq").asLong()).toList();
    }

    private static List<JsonNode> notInProgress(ChannelTranscript seen) {
        return seen.frames().stream().filter(frame -> !frame.path("status").asText().equals("in_progress")).toList();
    }

    /** Words in an {@code in_progress} frame's delta: how many frames it stands for; 0 for other frames. */
    private static int words(JsonNode frame) {
        String delta = frame.path("delta").asText("").strip();
        return !frame.path("status").asText().equals("in_progress") || delta.isEmpty() ? 0
                : delta.split("\\s+").length;
    }
}
