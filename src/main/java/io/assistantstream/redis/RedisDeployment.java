package io.assistantstream.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import reactor.core.Disposable;

/**
 * The Redis the service runs on, and the connections it opens there: one server (given directly,
 * or found through Sentinels) or a Redis Cluster. Commands that cannot reach Redis fail at once
 * rather than wait for a reconnection (a delivery is then given back to the queue, never answered
 * late), and every command waits at most {@code timeout}.
 *
 * <p>In a cluster, lettuce learns the cluster from any seed node and keeps its view fresh: every ten
 * seconds, and within a second when a node refuses a connection or redirects a command, so a
 * failover is followed within about its own time (a replica promoted a second or two after its
 * master stopped answering) instead of lettuce's default minute.
 */
public final class RedisDeployment implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisDeployment.class.getName());
    /** How soon lettuce looks at the cluster again after a node failed it or redirected a command. */
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(1);
    /** How often lettuce looks at the cluster anyway (each look also tries a node that is down, and logs it). */
    private static final Duration TOPOLOGY_CHECK = Duration.ofSeconds(10);
    private static final Duration SHARD_CHECK = Duration.ofMillis(500);

    private final RedisClient single;
    private final RedisClusterClient cluster;
    private final KeySpace keys;
    /** The resources this opened for itself, shut down with it; null when the caller's. */
    private final ClientResources owned;
    /**
     * The cluster connections whose links to the masters are opened again whenever the cluster
     * changes; they live as long as this (a connection's {@code isOpen} is false while it reconnects,
     * so it cannot tell a closed one).
     */
    private final List<StatefulRedisClusterConnection<?, ?>> warmAfterChanges = new CopyOnWriteArrayList<>();
    private final Disposable watchingChanges;

    private RedisDeployment(RedisClient single, RedisClusterClient cluster, KeySpace keys, ClientResources owned) {
        this.single = single;
        this.cluster = cluster;
        this.keys = keys;
        this.owned = owned;
        this.watchingChanges = cluster == null ? null : cluster.getResources().eventBus().get()
                .filter(ClusterTopologyChangedEvent.class::isInstance)
                .subscribe(changed -> warmAfterChanges.forEach(connection -> MasterLinks.open(cluster,
                                connection::getConnectionAsync, false)),
                        error -> LOG.log(Level.WARNING, "Stopped opening links to new masters after cluster changes",
                                error));
    }

    /**
     * Opens the clients (connections are opened as asked for).
     *
     * @param resources lettuce's threads and event bus, shared by the caller; null to have this own its
     *                  default ones, shut down on {@link #close}
     * @param urls      the server, the Sentinels' URL ({@code redis-sentinel://…#master}), or the
     *                  cluster's seed nodes
     * @param cluster   whether {@code urls} are the seed nodes of a Redis Cluster
     * @param timeout   the longest any command waits
     */
    public static RedisDeployment open(ClientResources resources, List<RedisURI> urls, boolean cluster, String prefix,
                                       Duration timeout) {
        ClientResources used = resources != null ? resources : DefaultClientResources.create();
        ClientResources owned = resources == null ? used : null;
        try {
            if (!cluster) {
                RedisClient client = RedisClient.create(used, urls.getFirst());
                client.setOptions(ClientOptions.builder()
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .timeoutOptions(TimeoutOptions.enabled(timeout))
                        .build());
                return new RedisDeployment(client, null, KeySpace.standalone(prefix), owned);
            }
            KeySpace keys = new KeySpace(prefix, true);
            RedisClusterClient client = RedisClusterClient.create(used, urls);
            client.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(timeout))
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(TOPOLOGY_CHECK)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(TOPOLOGY_REFRESH)
                            .refreshTriggersReconnectAttempts(1)
                            .build())
                    .build());
            return new RedisDeployment(null, client, keys, owned);
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
            }
            throw e;
        }
    }

    /** How keys are named here. */
    public KeySpace keys() {
        return keys;
    }

    /** A connection for commands, strings in and out. */
    public RedisConnection<String, String> connect() {
        return single != null ? RedisConnection.of(single.connect()) : RedisConnection.of(warmed(cluster.connect()));
    }

    /** A connection for commands, bytes in and out (no string is decoded on the way). */
    public RedisConnection<byte[], byte[]> connectBytes() {
        return single != null ? RedisConnection.of(single.connect(ByteArrayCodec.INSTANCE))
                : RedisConnection.of(warmed(cluster.connect(ByteArrayCodec.INSTANCE)));
    }

    /**
     * {@code connection} with its links to every master open, now and after each change of the
     * cluster: a cluster connection opens its link to a node on first use, and a command that meets
     * a link still opening is refused (as while disconnected), so the first commands to each master,
     * and to a replica just promoted, would fail.
     */
    private <K, V> StatefulRedisClusterConnection<K, V> warmed(StatefulRedisClusterConnection<K, V> connection) {
        MasterLinks.open(cluster, connection::getConnectionAsync, true);
        warmAfterChanges.add(connection);
        return connection;
    }

    /**
     * Topics of one channel, published by the channel's own scripts: classic pub/sub on one Redis,
     * sharded pub/sub in a cluster (the script publishes with {@code SPUBLISH}).
     */
    public Topics channelTopics() {
        return single != null ? new ClassicTopics(single.connectPubSub()) : new ShardedTopics(cluster, SHARD_CHECK);
    }

    /** Topics every node carries: classic pub/sub, which a cluster delivers on all its nodes. */
    public Topics broadcastTopics() {
        StatefulRedisPubSubConnection<String, String> pubSub = single != null ? single.connectPubSub()
                : cluster.connectPubSub();
        return new ClassicTopics(pubSub);
    }

    /** Closes every connection opened here. */
    @Override
    public void close() {
        if (watchingChanges != null) {
            watchingChanges.dispose();
        }
        if (single != null) {
            single.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } else {
            cluster.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (owned != null) {
            owned.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
