package io.assistantstream.redis;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p>lettuce subscribes a shard topic again after a reconnect to the same node, but not once its
 * master is gone: after a failover the subscription would stay silent for good. So a watcher looks,
 * every {@code checkEvery}, at which master serves each topic's slot now (lettuce's view of the
 * cluster, refreshed as it sees failovers and slot moves); when one moved, every topic is subscribed
 * anew on a fresh connection, which replaces the old one (subscribing again on the old connection
 * would later hear the moved topics twice). A topic whose master cannot be reached then is left
 * pending, and tried again on the new connection at each look, so one unreachable master holds up
 * no other master's topics. Each confirmation is told to the listener, so what was published
 * meanwhile is read back from the log; a frame heard on both connections during the swap is heard
 * twice, which the listener's seqs sort out. The watcher also opens the connection's links to
 * masters that appeared, so a subscribe after a failover does not meet a link still opening.
 */
public final class ShardedTopics implements Topics {
    private static final Logger LOG = Logger.getLogger(ShardedTopics.class.getName());
    /** How long a swap waits for the confirmations of the topics it subscribes anew. */
    private static final Duration CONFIRMATION_WAIT = Duration.ofSeconds(2);
    /** The master a topic is heard on while it waits to be subscribed again. */
    private static final String PENDING = "";

    private final RedisClusterClient client;
    private final Duration checkEvery;
    /** The topics heard, each with the id of the master it is subscribed on (or pending). Guarded by itself. */
    private final Map<String, String> topics = new HashMap<>();
    private volatile Listener listener;
    /** Replaced by a swap, under the topics' lock. */
    private volatile StatefulRedisClusterPubSubConnection<String, String> connection;
    private Thread watcher;
    private Set<String> masters = Set.of();
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
            masters = masters();
            watcher = Thread.ofVirtual().name("shard-topics-watcher").start(this::watch);
        }
    }

    /**
     * Subscribes on the topic's master; a link to it still opening (a master just promoted, not yet
     * seen by the watcher) is waited for once.
     */
    @Override
    public void subscribe(String topic) {
        synchronized (topics) {
            String master = masterOf(topic);
            try {
                connection.sync().ssubscribe(topic);
            } catch (RedisException e) {
                MasterLinks.open(client, connection::getConnectionAsync, true);
                connection.sync().ssubscribe(topic);
            }
            topics.put(topic, master);
        }
    }

    @Override
    public void unsubscribe(String topic) {
        synchronized (topics) {
            if (!PENDING.equals(topics.remove(topic))) {
                connection.sync().sunsubscribe(topic);
            }
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
        return master == null ? PENDING : master.getNodeId();
    }

    private Set<String> masters() {
        Set<String> ids = new HashSet<>();
        MasterLinks.masters(client).forEach(master -> ids.add(master.getNodeId()));
        return ids;
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(checkEvery);
                synchronized (topics) {
                    if (closed) { // not connection.isOpen(): that is false while a link reconnects, as in a failover
                        return;
                    }
                    look();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not subscribe the frame topics again after the cluster changed;"
                        + " retrying: " + e.getMessage());
            }
        }
    }

    /** One look at the cluster: opens links to new masters, swaps if a topic's master moved, retries pending topics. */
    private void look() {
        Set<String> now = masters();
        if (!now.equals(masters)) {
            masters = now;
            MasterLinks.open(client, connection::getConnectionAsync, false);
        }
        boolean moved = topics.entrySet().stream()
                .anyMatch(t -> !PENDING.equals(t.getValue()) && !t.getValue().equals(masterOf(t.getKey())));
        if (moved) {
            StatefulRedisClusterPubSubConnection<String, String> old = connection;
            connection = open();
            int pending = subscribeAgain(topics.keySet().stream().toList());
            old.closeAsync();
            LOG.info("Subscribed the frame topics again on a new connection, the cluster's masters having changed"
                    + (pending == 0 ? "" : "; " + pending + " wait for their master"));
        } else if (topics.containsValue(PENDING)) {
            subscribeAgain(topics.entrySet().stream().filter(t -> PENDING.equals(t.getValue())).map(Map.Entry::getKey)
                    .toList());
        }
    }

    /** Subscribes {@code again} on the current connection; returns how many are still pending. */
    private int subscribeAgain(List<String> again) {
        Map<String, CompletableFuture<?>> confirmations = new HashMap<>();
        Map<String, String> masterOf = new HashMap<>();
        for (String topic : again) {
            masterOf.put(topic, masterOf(topic));
            confirmations.put(topic, connection.async().ssubscribe(topic).toCompletableFuture());
        }
        try {
            CompletableFuture.allOf(confirmations.values().toArray(CompletableFuture[]::new))
                    .get(CONFIRMATION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the topics of a master that does not answer stay pending; the others are heard again
        }
        int pending = 0;
        for (String topic : again) {
            CompletableFuture<?> confirmed = confirmations.get(topic);
            boolean heard = confirmed.isDone() && !confirmed.isCompletedExceptionally();
            topics.put(topic, heard ? masterOf.get(topic) : PENDING);
            pending += heard ? 0 : 1;
        }
        return pending;
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
