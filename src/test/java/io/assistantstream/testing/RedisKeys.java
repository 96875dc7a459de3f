package io.assistantstream.testing;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/** Direct access to the test's keys on the shared Redis; deletes only its own prefix on close. */
public final class RedisKeys implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final String prefix;

    public RedisKeys(String url, String prefix) {
        this.client = RedisClient.create(url);
        this.connection = client.connect();
        this.prefix = prefix;
    }

    public RedisCommands<String, String> redis() {
        return connection.sync();
    }

    @Override
    public void close() {
        try {
            ScanIterator<String> keys = ScanIterator.scan(redis(), KeyScanArgs.Builder.matches(prefix + "*").limit(500));
            while (keys.hasNext()) {
                redis().del(keys.next());
            }
        } finally {
            connection.close();
            client.shutdown();
        }
    }
}
