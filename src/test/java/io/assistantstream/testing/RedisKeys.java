package io.assistantstream.testing;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/** Direct access to the test's keys on the shared Redis; deletes only its own prefix on close, a SCAN page per DEL. */
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
            ScanArgs own = ScanArgs.Builder.matches(prefix + "*").limit(1_000);
            for (KeyScanCursor<String> keys = redis().scan(own); ; keys = redis().scan(keys, own)) {
                if (!keys.getKeys().isEmpty()) {
                    redis().del(keys.getKeys().toArray(String[]::new));
                }
                if (keys.isFinished()) {
                    break;
                }
            }
        } finally {
            connection.close();
            client.shutdown();
        }
    }
}
