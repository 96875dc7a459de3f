package io.assistantstream.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;

/**
 * Opens a cluster connection's links to every master the client knows of. lettuce opens a link on
 * first use, and with commands refused while disconnected it also refuses a command that meets a
 * link still being opened: without this, the first commands to each master would fail.
 */
final class MasterLinks {
    private static final Duration WAIT = Duration.ofSeconds(2);

    private MasterLinks() {
    }

    /** The masters the client knows of now and does not know to have failed. */
    static List<RedisClusterNode> masters(RedisClusterClient client) {
        List<RedisClusterNode> masters = new ArrayList<>();
        for (RedisClusterNode node : client.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.is(RedisClusterNode.NodeFlag.FAIL)) {
                masters.add(node);
            }
        }
        return masters;
    }

    /**
     * @param link  opens (or finds) the connection's link to a node, by host and port
     * @param await whether to wait until they are open (a master that cannot be reached is left out)
     */
    static void open(RedisClusterClient client, BiFunction<String, Integer, CompletableFuture<?>> link, boolean await) {
        List<CompletableFuture<?>> opening = new ArrayList<>();
        for (RedisClusterNode master : masters(client)) {
            RedisURI uri = master.getUri();
            try {
                opening.add(link.apply(uri.getHost(), uri.getPort()).exceptionally(error -> null));
            } catch (RuntimeException e) { // the connection was closed meanwhile
                return;
            }
        }
        if (await) {
            try {
                CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new))
                        .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // a master that does not answer is not waited for: its commands fail, as they would anyway
            }
        }
    }
}
