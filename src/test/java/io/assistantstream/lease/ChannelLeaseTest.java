package io.assistantstream.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.RedisKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The channel lease under churn: renewals running all the time never bring back a released ticket. */
class ChannelLeaseTest {
    private static final String REDIS = "redis://127.0.0.1:6379/0";

    @Test
    void a_renewal_racing_a_release_never_puts_the_released_ticket_back_in_line() throws Exception {
        String prefix = "test:" + UUID.randomUUID() + ":";
        RedisClient client = RedisClient.create(REDIS);
        // a 150 ms lease is renewed every 50 ms, so renewals keep crossing releases
        try (LogWatch leaseLog = LogWatch.of(ChannelLease.class.getName());
             RedisKeys keys = new RedisKeys(REDIS, prefix);
             StatefulRedisConnection<String, String> connection = client.connect();
             ChannelLease lease = new ChannelLease(connection, prefix, Duration.ofMillis(150), Duration.ofMillis(5))) {
            List<Thread> workers = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                String channel = "c" + c;
                workers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 100; i++) {
                        try (ChannelLease.Ticket ticket = lease.enqueue(channel)) {
                            ticket.acquire(Duration.ofSeconds(10));
                            Thread.sleep(1);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertEquals(0, leaseLog.count("was lost"), "released tickets put back at the head of their line");
            for (int c = 0; c < 20; c++) {
                assertEquals(0L, keys.redis().llen(prefix + "lease:c" + c), "line of c" + c + " is empty");
            }
        } finally {
            client.shutdown();
        }
    }
}
