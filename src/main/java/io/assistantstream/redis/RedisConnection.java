package io.assistantstream.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

/**
 * One lettuce connection as the service uses it, to a single Redis (standalone, or the master
 * Sentinel names) or to a Redis Cluster: its commands, waited for or not. The commands are those a
 * cluster routes by key; the cluster connection sends each to the master of its key's slot, follows
 * slot moves and failovers, and walks every master for {@code SCAN}.
 *
 * @param connection what is closed
 * @param sync       commands that wait for their reply
 * @param async      commands that do not
 */
public record RedisConnection<K, V>(StatefulConnection<K, V> connection, RedisClusterCommands<K, V> sync,
                                    RedisClusterAsyncCommands<K, V> async) implements AutoCloseable {

    /** A connection to one Redis. */
    public static <K, V> RedisConnection<K, V> of(StatefulRedisConnection<K, V> connection) {
        return new RedisConnection<>(connection, connection.sync(), connection.async());
    }

    /** A connection to a Redis Cluster. */
    public static <K, V> RedisConnection<K, V> of(StatefulRedisClusterConnection<K, V> connection) {
        return new RedisConnection<>(connection, connection.sync(), connection.async());
    }

    @Override
    public void close() {
        connection.close();
    }
}
