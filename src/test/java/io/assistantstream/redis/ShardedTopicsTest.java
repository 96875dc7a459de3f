package io.assistantstream.redis;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.lettuce.core.cluster.RedisClusterClient;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.RedisCluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sharded topics on a Redis Cluster of the test's own, through a failover that also takes the node of
 * the connection's default link (the one its commands go to when they name no key): while that link
 * reconnects lettuce calls the connection not open, which once stopped the watcher for good.
 */
class ShardedTopicsTest {
    private static final String NAME = "sharded-topics-test";

    @Test
    void topics_of_a_master_that_died_are_heard_again_on_its_replica_even_when_the_default_link_died_too()
            throws Exception {
        try (RedisCluster cluster = new RedisCluster()) {
            RedisClusterClient client = RedisClusterClient.create(cluster.uris(NAME));
            Set<String> heard = ConcurrentHashMap.newKeySet();
            try (ShardedTopics topics = new ShardedTopics(client, Duration.ofMillis(200))) {
                topics.listen(new Topics.Listener() {
                    @Override
                    public void message(String topic, String message) {
                        heard.add(message);
                    }

                    @Override
                    public void subscribed(String topic) {
                        // the hub reads the log here; this test listens only
                    }
                });
                List<String> channels = cluster.channelsOnEveryMaster("t", 1);
                for (String channel : channels) {
                    topics.subscribe("frames:{" + channel + "}");
                }
                // the default link: a connection of this name subscribed to no shard channel
                List<Integer> defaultLink = cluster.nodesWithClient(NAME, line -> line.contains(" ssub=0 "));
                assertFalse(defaultLink.isEmpty(), "the default link is somewhere");
                int killed = defaultLink.getFirst();
                if (cluster.isMaster(killed)) {
                    cluster.kill(killed);
                } else { // a master must go too, so that its topics move: one whose replica lives
                    int followed = cluster.masterOfReplica(killed);
                    cluster.kill(killed);
                    killed = cluster.masters().stream().filter(port -> port != followed).findFirst().orElseThrow();
                    cluster.kill(killed);
                }
                int dead = killed;
                String moved = channels.stream().filter(channel -> {
                    try {
                        return cluster.masterOf("{" + channel + "}") == dead;
                    } catch (Exception e) {
                        return false;
                    }
                }).findFirst().orElseThrow();
                assertTrue(cluster.awaitMovedFrom("{" + moved + "}", dead), "a replica took over");
                Set<String> expected = Set.of("after the failover");
                Readiness.poll(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
                    cluster.redis().spublish("frames:{" + moved + "}", "after the failover");
                    return heard;
                }, messages -> messages.containsAll(expected));
                assertEquals(expected, Set.copyOf(heard), "heard on the promoted replica");
            } finally {
                client.shutdown();
            }
        }
    }
}
