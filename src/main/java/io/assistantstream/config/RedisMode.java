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
    SENTINEL;

    /** The name in {@code REDIS_MODE}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
