package io.assistantstream.lease;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.redis.LuaScript;

/**
 * One answer at a time per channel, in arrival order, across every instance that shares Redis.
 *
 * <p>{@link #enqueue} is called as each delivery is received, in delivery order, and joins the
 * channel's FIFO line in Redis ({@code lease:{channel}}) right then, in one call that also says
 * whether the ticket is already first; the head of the line holds the lease. So the line's order is
 * the order in which the instances received the deliveries: exactly the queue's order within an
 * instance, and across instances too except for deliveries that reach two instances within the same
 * instant. The join is sent without waiting for its reply (commands on one connection run in the
 * order they were sent), so receiving the next delivery never waits for a Redis round trip; an
 * earlier version waited, and that one round trip per message on the single dispatch thread capped
 * the instance's intake near 1,300 messages/s. Inside an instance, tickets of a channel are also
 * chained, so only the first local one polls Redis. Every waiting or holding ticket keeps a
 * liveness key ({@code lease-alive:{token}}, expiring after the lease time) that one background
 * thread renews for all tickets of the instance, so a crashed instance's tickets are skipped once
 * their keys expire, and a release by a ticket that is not the head removes nothing but itself.
 */
public final class ChannelLease implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ChannelLease.class.getName());
    /**
     * Joins the line (or re-joins one that a restarted Redis lost), skips the tickets of dead
     * instances at its head, and answers whether this ticket is now first.
     */
    private static final String ACQUIRE = """
            redis.call('SET', ARGV[3] .. ARGV[1], '1', 'PX', ARGV[2])
            if not redis.call('LPOS', KEYS[1], ARGV[1]) then
              redis.call('RPUSH', KEYS[1], ARGV[1])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            while true do
              local head = redis.call('LINDEX', KEYS[1], 0)
              if head == ARGV[1] then return 1 end
              if redis.call('EXISTS', ARGV[3] .. head) == 1 then return 0 end
              redis.call('LPOP', KEYS[1])
            end
            """;
    /**
     * Keeps a ticket alive. A holder that is no longer at the head of its line (a Redis that
     * restarted lost the line) is put back there, so waiters that join later queue behind it.
     */
    private static final String RENEW = """
            redis.call('SET', ARGV[2] .. ARGV[1], '1', 'PX', ARGV[3])
            if ARGV[4] ~= '1' then return 1 end
            local kept = 1
            if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then
              redis.call('LREM', KEYS[1], 0, ARGV[1])
              redis.call('LPUSH', KEYS[1], ARGV[1])
              kept = 0
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return kept
            """;
    private static final String RELEASE = """
            redis.call('LREM', KEYS[1], 1, ARGV[1])
            redis.call('DEL', ARGV[2] .. ARGV[1])
            return 1
            """;

    private final String prefix;
    private final Duration ttl;
    private final Duration pollInterval;
    private final String ttlMillis;
    private final String alivePrefix;
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Set<Ticket> live = ConcurrentHashMap.newKeySet();
    private final LuaScript<String, String, Long> acquire;
    private final LuaScript<String, String, Long> release;
    private final LuaScript<String, String, Long> renew;
    private final Thread renewer;

    public ChannelLease(StatefulRedisConnection<String, String> connection, String prefix, Duration ttl,
                        Duration pollInterval) {
        this.prefix = prefix;
        this.ttl = ttl;
        this.pollInterval = pollInterval;
        this.ttlMillis = Long.toString(ttl.toMillis());
        this.alivePrefix = prefix + "lease-alive:";
        this.acquire = LuaScript.returningNumber(connection, ACQUIRE);
        this.release = LuaScript.returningNumber(connection, RELEASE);
        this.renew = LuaScript.returningNumber(connection, RENEW);
        this.renewer = Thread.ofVirtual().name("lease-renewer").start(this::renewLoop);
    }

    /**
     * Takes a place in the channel's line: one Redis call, not waited for. Call in arrival order; then
     * {@link Ticket#acquire} on the worker thread and close the ticket when the answer is done.
     */
    public Ticket enqueue(String channel) {
        Ticket ticket = new Ticket(channel);
        ticket.joined = acquire.sendWhole(ticket.keys(), ticket.acquireArgs());
        live.add(ticket);
        ticket.previous = tails.put(channel, ticket.mine);
        return ticket;
    }

    @Override
    public void close() {
        renewer.interrupt();
    }

    private void renewLoop() {
        long period = Math.max(50, ttl.toMillis() / 3);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(period);
                int failed = 0;
                String why = null;
                for (Ticket ticket : live) {
                    try {
                        ticket.renew();
                    } catch (RuntimeException e) { // the next ticket may still get through
                        failed++;
                        why = e.getMessage();
                    }
                }
                if (failed > 0) {
                    LOG.log(Level.WARNING, "Could not renew " + failed + " channel leases; retrying: " + why);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String queueKey(String channel) {
        return prefix + "lease:" + channel;
    }


    /** A place in one channel's line; holds the lease between {@link #acquire} and {@link #close}. */
    public final class Ticket implements AutoCloseable {
        private final String channel;
        private final CompletableFuture<Void> mine = new CompletableFuture<>();
        private final String token = UUID.randomUUID().toString();
        private CompletableFuture<Void> previous;
        private CompletionStage<Long> joined;
        private volatile boolean held;
        /**
         * Orders renewal against release: a renewal sent after the release would put the released
         * ticket back at the head of its line (as it does for a holder whose line Redis lost) and
         * block the channel until the ticket's liveness key expired.
         */
        private final ReentrantLock renewal = new ReentrantLock();
        private boolean released;

        private Ticket(String channel) {
            this.channel = channel;
        }

        /**
         * Waits until this ticket is first in line, here and across instances.
         *
         * @throws LeaseUnavailableException when that takes longer than {@code maxWait}
         * @throws RedisException              when Redis could not be reached to join the line
         */
        public void acquire(Duration maxWait) throws LeaseUnavailableException, InterruptedException {
            boolean firstAtJoin = firstAtJoin();
            if (previous == null && firstAtJoin) {
                held = true; // the usual case: nobody was ahead, and joining already made it first
                return;
            }
            long deadline = System.nanoTime() + maxWait.toNanos();
            if (previous != null) {
                try {
                    previous.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    throw new LeaseUnavailableException("channel " + channel + " stayed busy for " + maxWait);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            }
            while (!tryAcquire()) {
                if (System.nanoTime() > deadline) {
                    throw new LeaseUnavailableException("channel " + channel + " stayed busy for " + maxWait
                            + " (held by another instance)");
                }
                Thread.sleep(pollInterval);
            }
            held = true;
        }

        /** Waits for the join sent by {@link #enqueue}; lettuce's command timeout bounds the wait. */
        private boolean firstAtJoin() throws InterruptedException {
            try {
                return joined.toCompletableFuture().get() == 1L;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RedisException redis ? redis
                        : new RedisException("could not join the lease line of channel " + channel, e.getCause());
            } catch (CancellationException e) { // lettuce cancels what is in flight when a connection resets
                throw new RedisException("joining the lease line of channel " + channel + " was cancelled", e);
            }
        }

        private boolean tryAcquire() {
            return acquire.call(keys(), acquireArgs()) == 1L;
        }

        private String[] keys() {
            return new String[] {queueKey(channel)};
        }

        private String[] acquireArgs() {
            return new String[] {token, ttlMillis, alivePrefix};
        }

        private void renew() {
            renewal.lock();
            try {
                if (released) {
                    return;
                }
                long kept = ChannelLease.this.renew.call(keys(), token, alivePrefix, ttlMillis, held ? "1" : "0");
                if (kept == 0) {
                    LOG.warning("The lease line of channel " + channel + " was lost (did Redis restart?);"
                            + " the answer running on it was put back at its head");
                }
            } finally {
                renewal.unlock();
            }
        }

        /**
         * Leaves the line (releasing the lease if held) and lets the next local ticket go. Never
         * throws: if Redis cannot be told, the ticket's liveness key expires and the line moves on.
         */
        @Override
        public void close() {
            renewal.lock();
            try {
                released = true;
                live.remove(this);
                release.call(keys(), token, alivePrefix);
            } catch (RuntimeException e) {
                LOG.warning("Could not release the lease of channel " + channel + "; it lapses in " + ttl
                        + ": " + e.getMessage());
            } finally {
                renewal.unlock();
                held = false;
                mine.complete(null);
                tails.remove(channel, mine);
            }
        }
    }
}
