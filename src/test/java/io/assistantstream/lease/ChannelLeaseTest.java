package io.assistantstream.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.RedisKeys;
import io.assistantstream.testing.TcpProxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The channel lease under churn: renewals running all the time never bring back a released ticket. A
 * holder whose lease may have lapsed gives it up, says so, and is not put back in line.
 */
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
             ChannelLease lease = new ChannelLease(RedisConnection.of(connection), KeySpace.standalone(prefix), Duration.ofMillis(150), Duration.ofMillis(5))) {
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

    @Test
    void a_holder_whose_renewal_finds_another_ticket_first_loses_its_lease_and_is_not_put_back_at_the_head()
            throws Exception {
        String prefix = "test:" + UUID.randomUUID() + ":";
        RedisClient client = RedisClient.create(REDIS);
        try (RedisKeys keys = new RedisKeys(REDIS, prefix);
             StatefulRedisConnection<String, String> connection = client.connect();
             ChannelLease lease = new ChannelLease(RedisConnection.of(connection), KeySpace.standalone(prefix), Duration.ofMillis(1500), Duration.ofMillis(5));
             ChannelLease.Ticket ticket = lease.enqueue("c")) {
            ticket.acquire(Duration.ZERO);
            CompletableFuture<String> lost = new CompletableFuture<>();
            ticket.whenLost(lost::complete);
            assertFalse(ticket.lost());

            // the holder's liveness key lapsed (it was paused) and another instance's ticket took the line
            keys.redis().del(ticket.alive());
            keys.redis().lpop(ticket.line());
            keys.redis().rpush(ticket.line(), "other");
            keys.redis().set(prefix + "lease-alive:other", "1");

            String why = lost.get(5, TimeUnit.SECONDS); // the next renewal, within a third of the lease time
            assertTrue(why.contains("no longer first"), why);
            assertTrue(ticket.lost());
            Thread.sleep(1000); // two more renewal periods
            assertEquals(List.of("other"), keys.redis().lrange(ticket.line(), 0, -1), "the other ticket keeps the lease");
            assertEquals(0L, keys.redis().exists(ticket.alive()), "a lost ticket is not kept alive");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void a_holder_whose_renewals_stall_gives_its_lease_up_before_redis_lets_it_lapse() throws Exception {
        String prefix = "test:" + UUID.randomUUID() + ":";
        RedisClient client = RedisClient.create(REDIS);
        try (RedisKeys keys = new RedisKeys(REDIS, prefix);
             TcpProxy proxy = new TcpProxy(6379)) {
            StatefulRedisConnection<String, String> connection = client.connect(
                    io.lettuce.core.RedisURI.create("redis://127.0.0.1:" + proxy.port() + "/0"));
            try (ChannelLease lease = new ChannelLease(RedisConnection.of(connection), KeySpace.standalone(prefix), Duration.ofMillis(2000), Duration.ofMillis(5))) {
                ChannelLease.Ticket ticket = lease.enqueue("c");
                ticket.acquire(Duration.ZERO);
                CompletableFuture<Boolean> aliveWhenLost = new CompletableFuture<>();
                ticket.whenLost(why -> aliveWhenLost.complete(keys.redis().exists(ticket.alive()) == 1L));
                Thread.sleep(1000); // renewed twice meanwhile
                assertFalse(ticket.lost());

                long stalled = System.nanoTime();
                proxy.stallAll(); // the network to Redis went silent: renewals are sent and never answered
                assertTrue(aliveWhenLost.get(5, TimeUnit.SECONDS), "given up while Redis still had the lease");
                long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalled);
                assertTrue(ticket.lost());
                assertTrue(after < 2000, "given up " + after + " ms after the last renewals, within the lease time");

                proxy.holdNew(false); // the held renewals reach Redis late; the ticket stays lost all the same
                Thread.sleep(1500);
                assertTrue(ticket.lost());
            }
        } finally {
            client.shutdown();
        }
    }
}
