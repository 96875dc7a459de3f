package io.assistantstream.redis;

import java.util.function.IntFunction;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;

/**
 * One lettuce connection as the service uses it, to a single Redis (standalone, or the master
 * Sentinel names) or to a Redis Cluster: its commands, waited for or not. The commands are those a
 * cluster routes by key; the cluster connection sends each to the master of its key's slot, follows
 * slot moves and failovers, and walks every master for {@code SCAN}.
 *
 * @param connection   what is closed
 * @param sync         commands that wait for their reply
 * @param async        commands that do not
 * @param masterOfSlot the id of the master serving a slot, as the connection knows it now ("" when
 *                     none does; always "" on one Redis)
 */
public record RedisConnection<K, V>(StatefulConnection<K, V> connection, RedisClusterCommands<K, V> sync,
                                    RedisClusterAsyncCommands<K, V> async, IntFunction<String> masterOfSlot)
        implements AutoCloseable {

    /** A connection to one Redis. */
    public static <K, V> RedisConnection<K, V> of(StatefulRedisConnection<K, V> connection) {
        return new RedisConnection<>(connection, connection.sync(), connection.async(), slot -> "");
    }

    /** A connection to a Redis Cluster. */
    public static <K, V> RedisConnection<K, V> of(StatefulRedisClusterConnection<K, V> connection) {
        return new RedisConnection<>(connection, connection.sync(), connection.async(), slot -> {
            RedisClusterNode master = connection.getPartitions().getMasterBySlot(slot);
            return master == null ? "" : master.getNodeId();
        });
    }

    /** The master serving {@code slot} now, as far as this connection knows: what one call may span. */
    public String masterOf(int slot) {
        return masterOfSlot.apply(slot);
    }

    @Override
    public void close() {
        connection.close();
    }
}
