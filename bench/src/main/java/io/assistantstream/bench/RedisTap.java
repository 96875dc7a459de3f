package io.assistantstream.bench;

import java.util.List;

import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/**
 * Listens to the service's Redis pub/sub topics of a sample of channels, to split the relay latency
 * in two: frame built → seen on Redis pub/sub (the publisher and Redis), and from there to the
 * WebSocket client (the hub and WebSocket writers). A sample only, so the tap adds little to Redis.
 */
final class RedisTap implements AutoCloseable {
    final Latencies toRedis = new Latencies();
    private final RedisClient redis = RedisClient.create("redis://127.0.0.1:6379/0");
    private final StatefulRedisPubSubConnection<String, String> connection = redis.connectPubSub();

    RedisTap(String prefix, List<String> channels, int every) {
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String topic, String frame) {
                if (frame.contains("\"status\":\"in_progress\"")) {
                    toRedis.add(Subscribers.epochMicros() - Subscribers.timestampMicros(frame));
                }
            }
        });
        String[] topics = new String[(channels.size() + every - 1) / every];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = prefix + "frames:" + channels.get(i * every);
        }
        connection.sync().subscribe(topics);
    }

    @Override
    public void close() {
        connection.close();
        redis.shutdown();
    }
}
