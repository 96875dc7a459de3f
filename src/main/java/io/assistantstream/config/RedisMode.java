package io.assistantstream.config;

import java.util.Locale;

/** How the service reaches Redis ({@code REDIS_MODE}). */
public enum RedisMode {
    /** One server ({@code redis://host:port/db}): the default. */
    STANDALONE,
    /**
     * A master watched by Sentinels ({@code redis-sentinel://host:port[,host:port…][/db]#master}): the
     * service asks them where the master is, at start and at every reconnection, so it follows a failover.
     */
    SENTINEL,
    /**
     * A Redis Cluster ({@code redis://host:port[,redis://host:port…]}, seed nodes): each command goes
     * to the master of its key's slot; each channel's keys share one slot.
     */
    CLUSTER;

    /** The name in {@code REDIS_MODE}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
