package io.assistantstream.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.testing.ChannelTranscript;
import io.assistantstream.testing.RedisCluster;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Redis Cluster master killed (SIGKILL) while two instances stream answers on channels of every
 * master: its replica takes its slots over, and the service follows (commands, sharded pub/sub, the
 * frame logs there).
 */
class ClusterFailoverTest {
    private static final int PER_MASTER = 3;
    private static final int PER_CHANNEL = 2;

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    /**
     * Every message published ends, for a client of each instance, in exactly one completed or one
     * error frame: none is lost, none ends twice, and each client's frames of each channel keep the
     * resume contract (seqs only rising, texts adding up). Afterwards a client resuming from the
     * start reads each answer of the dead master's channels from the promoted replica's log, and a
     * new message there is answered.
     */
    @Test
    void a_master_killed_while_answers_stream_loses_no_message_and_ends_none_twice() throws Exception {
        RedisCluster cluster = new RedisCluster();
        world.closing(cluster).set("redis.mode", "cluster").set("redis.url", cluster.url());
        List<String> channels = cluster.channelsOnEveryMaster("f", PER_MASTER);
        String victim = channels.getFirst();
        AssistantStream one = world.start();
        AssistantStream two = world.start();
        try (WsClient a = WsClient.connect(one.port()); WsClient b = WsClient.connect(two.port())) {
            Map<WsClient, Map<String, ChannelTranscript>> transcripts = new LinkedHashMap<>();
            for (WsClient client : List.of(a, b)) {
                Map<String, ChannelTranscript> mine = new HashMap<>();
                for (String channel : channels) {
                    mine.put(channel, new ChannelTranscript(channel, false));
                    client.subscribe(channel);
                }
                transcripts.put(client, mine);
            }
            List<String> ids = new ArrayList<>();
            for (int round = 0; round < PER_CHANNEL; round++) {
                for (String channel : channels) {
                    String id = channel + "-m" + round;
                    ids.add(id);
                    world.rabbit().publish(channel, id, "!delay=40 !words=40 " + id);
                }
            }
            int master = cluster.masterOf("{" + victim + "}");
            Map<WsClient, Map<String, List<String>>> ends = new HashMap<>(Map.of(a, new HashMap<>(), b, new HashMap<>()));
            int texts = 0;
            while (texts < 5) { // answers stream on every master
                JsonNode frame = take(a, transcripts.get(a), ends.get(a));
                texts += (victim + "-m0").equals(frame.path("message_id").asText()) ? 1 : 0;
            }
            List<String> orphaned = new ArrayList<>(); // the channels whose master dies
            for (String channel : channels) {
                if (cluster.masterOf("{" + channel + "}") == master) {
                    orphaned.add(channel);
                }
            }
            cluster.kill(master);
            long killed = System.nanoTime();
            CompletableFuture<Long> promoted = CompletableFuture.supplyAsync(() -> { // when the survivors say so
                try {
                    if (!cluster.awaitMovedFrom("{" + victim + "}", master)) {
                        throw new IllegalStateException("no replica took the slots of the killed master");
                    }
                    return System.nanoTime() - killed;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Map<String, Long> streamingAgain = new HashMap<>();
            for (WsClient client : List.of(a, b)) {
                while (!ends.get(client).keySet().containsAll(ids)) {
                    JsonNode frame = take(client, transcripts.get(client), ends.get(client));
                    String channel = frame.path("channel").asText();
                    // an answer starts once its channel's lease and conversation can be written: its slot is served
                    if (client == a && orphaned.contains(channel) && "started".equals(frame.path("status").asText())) {
                        streamingAgain.putIfAbsent(channel, System.nanoTime() - killed);
                    }
                }
            }
            for (WsClient client : List.of(a, b)) { // a moment more, for any second end
                while (client.poll(1_000).map(frame -> add(frame, transcripts.get(client), ends.get(client))).isPresent()) {
                    // taken
                }
            }
            long lastEnd = System.nanoTime();
            assertEquals(Set.copyOf(orphaned), streamingAgain.keySet(), "an answer started again on each of the"
                    + " dead master's channels");
            long completed = 0;
            for (WsClient client : List.of(a, b)) {
                for (String id : ids) {
                    List<String> end = ends.get(client).get(id);
                    assertEquals(1, end.size(), "message " + id + " ends once: " + end);
                    completed += "completed".equals(end.getFirst()) ? 1 : 0;
                }
                for (ChannelTranscript transcript : transcripts.get(client).values()) {
                    assertEquals(List.of(), transcript.problems(), transcript.channel());
                }
            }
            System.out.printf("cluster failover: master %d killed while %d answers streamed; its replica took over"
                            + " %.1f s later; answers on its %d channels started again within %.1f s; %d of %d ends"
                            + " completed, the last %.1f s after the kill%n", master, ids.size(),
                    promoted.get(60, TimeUnit.SECONDS) / 1e9, orphaned.size(), streamingAgain.values().stream()
                            .mapToLong(Long::longValue).max().orElseThrow() / 1e9, completed, 2 * ids.size(),
                    (lastEnd - killed) / 1e9);

            assertEquals("Echo: after", world.answer(a, victim, "after", "after").getLast().path("message").asText(),
                    "a new message on the dead master's channel");
        }
        try (WsClient resuming = WsClient.connect(two.port())) {
            for (String channel : channels) {
                if (cluster.masterOf("{" + channel + "}") != cluster.masterOf("{" + victim + "}")) {
                    continue; // only the channels whose log was on the dead master
                }
                JsonNode ack = resuming.subscribe(channel, 0L, null);
                assertEquals("subscribed", ack.path("type").asText(), ack.toString());
                List<String> answered = new ArrayList<>(); // a message sent back by the outage may end after a later one
                for (int round = 0; round < PER_CHANNEL; round++) {
                    answered.add(channel + "-m" + round);
                }
                if (channel.equals(victim)) {
                    answered.add("after");
                }
                List<String> ended = new ArrayList<>();
                while (!ended.containsAll(answered)) {
                    JsonNode frame = resuming.next();
                    assertEquals(channel, frame.path("channel").asText(), frame.toString());
                    if (frame.path("final_message").asBoolean()) {
                        ended.add(frame.path("message_id").asText());
                    }
                }
                assertEquals(answered.size(), ended.size(), "each message ends once in the log too: " + ended);
            }
        }
    }

    /**
     * A master that hangs (paused, its connections open, not failed over) holds up only the answers
     * of its own channels: a channel on another master is answered as usual meanwhile, though the
     * frame sender's calls to the paused master wait for their timeout.
     */
    @Test
    void a_paused_master_holds_up_only_its_own_channels() throws Exception {
        RedisCluster cluster = new RedisCluster();
        world.closing(cluster).set("redis.mode", "cluster").set("redis.url", cluster.url());
        List<String> channels = cluster.channelsOnEveryMaster("p", 1);
        String stuck = channels.get(0);
        String free = channels.get(1);
        int master = cluster.masterOf("{" + stuck + "}");
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe(stuck);
            client.subscribe(free);
            world.rabbit().publish(stuck, "long", "!delay=20 !words=400 long");
            client.awaitTexts("long", 3);
            cluster.nodeTimeout(Duration.ofMinutes(1));
            cluster.pause(master);
            try {
                client.awaitTexts("long", 10); // its frames still reach this instance's client, and its calls wait
                long published = System.nanoTime();
                world.rabbit().publish(free, "quick", "quick");
                List<JsonNode> answer = client.framesUntil(frame -> "quick".equals(frame.path("message_id").asText())
                        && frame.path("final_message").asBoolean());
                double seconds = (System.nanoTime() - published) / 1e9;
                assertEquals("completed", answer.getLast().path("status").asText(), answer.getLast().toString());
                System.out.printf("paused master: a channel of another master answered in %.2f s%n", seconds);
                assertTrue(seconds < 3, "answered in " + seconds + " s, not after the paused master's timeout");
            } finally {
                cluster.resume(master);
            }
        }
    }

    /** The client's next frame, taken into its channel's transcript and, if it ends its message, into {@code ends}. */
    private static JsonNode take(WsClient client, Map<String, ChannelTranscript> transcripts,
                                 Map<String, List<String>> ends) throws InterruptedException {
        return add(client.next(), transcripts, ends);
    }

    private static JsonNode add(JsonNode frame, Map<String, ChannelTranscript> transcripts,
                                Map<String, List<String>> ends) {
        ChannelTranscript transcript = transcripts.get(frame.path("channel").asText());
        if (transcript == null) {
            throw new AssertionError("not a frame of a subscribed channel: " + frame);
        }
        transcript.add(frame);
        if (frame.path("final_message").asBoolean()) {
            ends.computeIfAbsent(frame.path("message_id").asText(), id -> new ArrayList<>())
                    .add(frame.path("status").asText());
        }
        return frame;
    }
}
