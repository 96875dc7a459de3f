package io.assistantstream.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.RedisKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The channel lease under churn: renewals running all the time never bring back a released ticket. */
class ChannelLeaseTest {
    private static final String REDIS = "redis://127.0.0.1:6379/0";
    private static final int CHANNELS = 20;
    private static final int TURNS = 100;

    @Test
    void a_renewal_racing_a_release_never_puts_the_released_ticket_back_in_line() throws Exception {
        String prefix = "test:" + UUID.randomUUID() + ":";
        RedisClient client = RedisClient.create(REDIS);
        // a 150 ms lease is renewed every 50 ms, so renewals keep crossing releases
        try (RedisKeys keys = new RedisKeys(REDIS, prefix);
             StatefulRedisConnection<String, String> connection = client.connect();
             ChannelLease lease = new ChannelLease(connection, prefix, Duration.ofMillis(150), Duration.ofMillis(5))) {
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> workers = new ArrayList<>();
            for (int c = 0; c < CHANNELS; c++) {
                String channel = "c" + c;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < TURNS; i++) {
                        try (ChannelLease.Ticket ticket = lease.enqueue(channel)) {
                            // Each channel has this one worker, which closed its last ticket before taking
                            // the next: the line is empty when it joins, so it is first at once. A released
                            // ticket that a renewal put back at the head would be ahead of it (alive for
                            // another 150 ms), and a zero wait fails instead of waiting that out.
                            ticket.acquire(Duration.ZERO);
                            Thread.sleep(1);
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> worker : workers) {
                    worker.get(60, TimeUnit.SECONDS); // a worker's failure (or hang) fails the test
                }
            } finally {
                pool.shutdownNow();
            }
            for (int c = 0; c < CHANNELS; c++) {
                assertEquals(0L, keys.redis().llen(prefix + "lease:c" + c), "line of c" + c + " is empty");
            }
        } finally {
            client.shutdown();
        }
    }
}
