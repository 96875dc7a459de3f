package io.assistantstream.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;

/**
 * Sharded pub/sub ({@code SSUBSCRIBE}) on a Redis Cluster: a topic lives on the master of its slot,
 * so a channel's frames, published by its scripts on that master, cost no other node anything.
 *
 * <p>lettuce does not subscribe a shard topic again once its master is gone: after a failover the
 * subscription would stay silent for good. So a watcher looks, every {@code checkEvery}, at which
 * master serves each topic's slot now (lettuce's view of the cluster, refreshed as it sees failovers
 * and slot moves); when one moved, every topic is subscribed anew on a fresh connection, which then
 * replaces the old one. Each new confirmation is told to the listener, so what was published
 * meanwhile is read back from the log; a frame heard on both connections during the swap is heard
 * twice, which the listener's seqs sort out. A subscription that fails is tried again at the next
 * look.
 */
public final class ShardedTopics implements Topics {
    private static final Logger LOG = Logger.getLogger(ShardedTopics.class.getName());
    private static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

    private final RedisClusterClient client;
    private final Duration checkEvery;
    /** The topics heard, each with the id of the master it was subscribed on. Guarded by itself. */
    private final Map<String, String> topics = new HashMap<>();
    private volatile Listener listener;
    private StatefulRedisClusterPubSubConnection<String, String> connection;
    private Thread watcher;
    private volatile boolean closed;

    public ShardedTopics(RedisClusterClient client, Duration checkEvery) {
        this.client = client;
        this.checkEvery = checkEvery;
    }

    @Override
    public void listen(Listener listener) {
        synchronized (topics) {
            this.listener = listener;
            connection = open();
            watcher = Thread.ofVirtual().name("shard-topics-watcher").start(this::watch);
        }
    }

    @Override
    public void subscribe(String topic) {
        synchronized (topics) {
            String master = masterOf(topic);
            connection.sync().ssubscribe(topic);
            topics.put(topic, master);
        }
    }

    @Override
    public void unsubscribe(String topic) {
        synchronized (topics) {
            topics.remove(topic);
            connection.sync().sunsubscribe(topic);
        }
    }

    private StatefulRedisClusterPubSubConnection<String, String> open() {
        StatefulRedisClusterPubSubConnection<String, String> opened = client.connectPubSub();
        opened.addListener(new RedisClusterPubSubAdapter<>() {
            @Override
            public void smessage(RedisClusterNode node, String topic, String message) {
                listener.message(topic, message);
            }

            @Override
            public void ssubscribed(RedisClusterNode node, String topic, long count) {
                listener.subscribed(topic);
            }
        });
        MasterLinks.open(client, opened::getConnectionAsync, true);
        return opened;
    }

    private String masterOf(String topic) {
        RedisClusterNode master = client.getPartitions().getMasterBySlot(SlotHash.getSlot(topic));
        return master == null ? "" : master.getNodeId();
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(checkEvery);
                synchronized (topics) {
                    if (!closed && topics.entrySet().stream().anyMatch(t -> !t.getValue().equals(masterOf(t.getKey())))) {
                        resubscribe();
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not subscribe the frame topics again after the cluster changed;"
                        + " retrying: " + e.getMessage());
            }
        }
    }

    /** Subscribes every topic on a new connection, then drops the old one. Holds the topics' lock. */
    private void resubscribe() {
        StatefulRedisClusterPubSubConnection<String, String> fresh = open();
        try {
            Map<String, String> masters = new HashMap<>();
            List<CompletableFuture<?>> confirmations = new ArrayList<>();
            for (String topic : topics.keySet()) {
                masters.put(topic, masterOf(topic));
                confirmations.add(fresh.async().ssubscribe(topic).toCompletableFuture());
            }
            CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new))
                    .get(SUBSCRIBE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            StatefulRedisClusterPubSubConnection<String, String> old = connection;
            connection = fresh;
            topics.putAll(masters);
            old.closeAsync();
            LOG.info(() -> "Subscribed " + masters.size() + " frame topics again: the cluster's masters changed");
        } catch (Exception e) {
            fresh.closeAsync();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new RedisException("could not subscribe " + topics.size() + " topics on the new masters", e);
        }
    }

    @Override
    public void close() {
        synchronized (topics) {
            closed = true;
            if (watcher != null) {
                watcher.interrupt();
            }
            if (connection != null) {
                connection.close();
            }
        }
    }
}
