package io.assistantstream;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.admin.ConversationAdmin;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.redis.RedisDeployment;
import io.assistantstream.testing.RedisCluster;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service on a Redis Cluster ({@code REDIS_MODE=cluster}; six nodes, three masters with a replica
 * each): each channel's keys live on the master of its slot, its frames travel on sharded pub/sub,
 * and instances sharing the cluster answer and serve every channel.
 */
class RedisClusterTest {
    private static RedisCluster cluster;

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new RedisCluster();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @BeforeEach
    void onTheCluster() {
        world.set("redis.mode", "cluster").set("redis.url", cluster.url());
    }

    /**
     * Two instances take the messages of channels on every master in turns; a client of each gets
     * every answer once, whichever instance gave it (sharded pub/sub on the channel's master), and a
     * client that comes later reads each answer back from the channel's log. A channel holding a
     * brace works too (its keys are tagged with a digest of it).
     */
    @Test
    void two_instances_answer_channels_on_every_master_and_each_client_gets_every_answer_once() throws Exception {
        List<String> channels = new ArrayList<>(cluster.channelsOnEveryMaster("across", 2));
        channels.add("odd}name{");
        AssistantStream one = world.start();
        AssistantStream two = world.start();
        try (WsClient a = WsClient.connect(one.port()); WsClient b = WsClient.connect(two.port())) {
            for (String channel : channels) {
                a.subscribe(channel);
                b.subscribe(channel);
            }
            for (String channel : channels) {
                world.rabbit().publish(channel, "m-" + channel, "hello " + channel);
            }
            for (WsClient client : List.of(a, b)) {
                Map<String, List<JsonNode>> ends = terminalFrames(client, channels.size());
                for (String channel : channels) {
                    List<JsonNode> end = ends.get("m-" + channel);
                    assertEquals(1, end.size(), "one end of each message: " + ends);
                    assertEquals("completed", end.getFirst().path("status").asText(), end.toString());
                    assertEquals("Echo: hello " + channel, end.getFirst().path("message").asText());
                }
            }
        }
        for (String channel : channels.subList(0, channels.size() - 1)) { // the key of a channel is tagged with it
            assertEquals(1, cluster.redis().exists(world.prefix() + "log:{" + channel + "}"), channel);
            assertEquals(1, cluster.redis().exists(world.prefix() + "thread:{" + channel + "}"), channel);
        }
        try (WsClient later = WsClient.connect(two.port())) {
            for (String channel : channels) {
                JsonNode ack = later.subscribe(channel, 0L, null);
                assertTrue(ack.path("recovered").asBoolean(), ack.toString());
                List<JsonNode> replay = later.answer("m-" + channel);
                assertEquals("Echo: hello " + channel, replay.getLast().path("message").asText(), replay.toString());
            }
        }
    }

    /** A cancel sent to one instance stops an answer on a cluster channel wherever it runs. */
    @Test
    void a_cancel_reaches_the_answer_through_the_cluster() throws Exception {
        String channel = cluster.channelsOnEveryMaster("cancel", 1).getLast();
        AssistantStream one = world.start();
        AssistantStream two = world.start();
        try (WsClient watching = WsClient.connect(one.port()); WsClient cancelling = WsClient.connect(two.port())) {
            watching.subscribe(channel);
            cancelling.subscribe(channel);
            world.rabbit().publish(channel, "slow", "!delay=100 !words=200 go");
            watching.awaitTexts("slow", 2);
            cancelling.cancel(channel, "slow");
            assertEquals("cancelled", watching.answer("slow").getLast().path("status").asText());
        }
    }

    /**
     * The thread statistics and the deletion of every mapping walk the index and, for mappings it does
     * not know, every master ({@code SCAN} on each, never {@code KEYS}).
     */
    @Test
    void thread_statistics_and_deleting_every_mapping_reach_all_masters() throws Exception {
        List<String> channels = cluster.channelsOnEveryMaster("admin", 2);
        AssistantStream service = world.start();
        for (String channel : channels) {
            world.answer(service, channel, "m-" + channel, "hi");
        }
        String unindexed = world.prefix() + "thread:{stray}";
        cluster.redis().set(unindexed, "thread_from_elsewhere");
        try (RedisDeployment redis = AssistantStream.redisOf(world.settings().redis(), null);
             RedisConnection<String, String> connection = redis.connect()) {
            ConversationAdmin admin = new ConversationAdmin(connection, redis.keys(), Clock.systemUTC());
            assertEquals(channels.size(), admin.stats().threads(), "the indexed mappings");
            assertTrue(admin.thread(channels.getLast()).orElseThrow().conversationId().startsWith("conv_"));
            assertEquals(channels.size() + 1, admin.deleteAll(), "the indexed ones and the stray one");
            assertEquals(0, admin.stats().threads());
        }
        for (String channel : channels) {
            assertEquals(0, cluster.redis().exists(world.prefix() + "thread:{" + channel + "}"), channel);
        }
        assertEquals(0, cluster.redis().exists(unindexed));
        assertEquals("Echo: again", world.answer(service, channels.getFirst(), "again", "again").getLast()
                .path("message").asText(), "a deleted mapping is made anew by the next message");
    }

    /** Reads until {@code count} messages ended (and a moment more, for a second end); their end frames by message id. */
    private static Map<String, List<JsonNode>> terminalFrames(WsClient client, int count) throws InterruptedException {
        Map<String, List<JsonNode>> ends = new HashMap<>();
        while (ends.size() < count) {
            JsonNode frame = client.next();
            if (frame.path("final_message").asBoolean()) {
                ends.computeIfAbsent(frame.path("message_id").asText(), id -> new ArrayList<>()).add(frame);
            }
        }
        for (var late = client.poll(300); late.isPresent(); late = client.poll(300)) {
            if (late.get().path("final_message").asBoolean()) {
                ends.computeIfAbsent(late.get().path("message_id").asText(), id -> new ArrayList<>()).add(late.get());
            }
        }
        return ends;
    }
}
