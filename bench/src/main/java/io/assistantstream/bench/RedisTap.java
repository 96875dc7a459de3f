package io.assistantstream.bench;

import java.util.List;

import io.assistantstream.redis.RedisDeployment;
import io.assistantstream.redis.Topics;

/**
 * Listens to the service's Redis pub/sub topics of a sample of channels, to split the relay latency
 * in two: frame built → seen on Redis pub/sub (the publisher and Redis), and from there to the
 * WebSocket client (the hub and WebSocket writers). A sample only, so the tap adds little to Redis.
 * The topics are heard as the service hears them: classic pub/sub on one Redis, sharded pub/sub on
 * the master of each channel's slot in a cluster.
 */
final class RedisTap implements AutoCloseable {
    final Latencies toRedis = new Latencies();
    private final RedisDeployment redis;
    private final Topics topics;

    RedisTap(RedisUnderTest target, String prefix, List<String> channels, int every) {
        redis = target.open(prefix);
        topics = redis.channelTopics();
        topics.listen(new Topics.Listener() {
            @Override
            public void message(String topic, String frame) {
                if (frame.contains("\"status\":\"in_progress\"")) {
                    toRedis.add(Subscribers.epochMicros() - Subscribers.timestampMicros(frame));
                }
            }

            @Override
            public void subscribed(String topic) {
            }
        });
        try {
            for (int i = 0; i < channels.size(); i += every) {
                topics.subscribe(redis.keys().of("frames:", channels.get(i)));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        topics.close();
        redis.close();
    }
}
