package io.assistantstream.lease;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

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
 * liveness key ({@code lease-alive:{token}}; in a cluster {@code lease-alive:{channel}:{token}}, in the
 * line's slot, since the line's scripts read them), expiring after the lease time) that one background
 * thread renews for all tickets of the instance, so a crashed instance's tickets are skipped once
 * their keys expire, and a release by a ticket that is not the head removes nothing but itself.
 *
 * <p>A holder can lose its lease while it still works under it: its renewals fail (Redis unreachable
 * from here) or are not sent (this process paused), its liveness key expires, and the next ticket in
 * line takes the channel. A holder gives its lease up as {@link Ticket#lost lost} once a renewal finds
 * another ticket first, or its renewals have failed for longer than the lease time less a
 * {@linkplain #margin margin}, which is before Redis can let the lease lapse; {@link Ticket#whenLost}
 * tells its owner. What it writes under the lease is fenced too ({@link Fence}): a Redis script
 * refuses a write whose ticket is not first in its line, for the holder that could not notice in time.
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
     * Keeps a ticket alive. A holder (ARGV[4] = 1) is kept only while it still holds the lease: first
     * in its line, its liveness key still there. Otherwise its lease lapsed and the line moved on (or
     * a restarted Redis lost it, and a waiter may have joined it anew and been told it is first), and
     * it answers 0, setting nothing: putting the holder back at the head, as an earlier version did,
     * gave a channel two holders at once.
     */
    private static final String RENEW = """
            if ARGV[4] == '1' then
              if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] or redis.call('EXISTS', ARGV[2] .. ARGV[1]) == 0 then
                return 0
              end
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
            end
            redis.call('SET', ARGV[2] .. ARGV[1], '1', 'PX', ARGV[3])
            return 1
            """;
    private static final String RELEASE = """
            redis.call('LREM', KEYS[1], 1, ARGV[1])
            redis.call('DEL', ARGV[2] .. ARGV[1])
            return 1
            """;

    private final KeySpace keys;
    private final Duration ttl;
    private final Duration pollInterval;
    private final String ttlMillis;
    /** How long after its last renewal a holder still takes its lease for held: the lease time less a margin. */
    private final long holdNanos;
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Set<Ticket> live = ConcurrentHashMap.newKeySet();
    private final LuaScript<String, String, Long> acquire;
    private final LuaScript<String, String, Long> release;
    private final LuaScript<String, String, Long> renew;
    private final AtomicInteger failedRenewals = new AtomicInteger();
    private volatile String failedBecause;
    private final Thread renewer;

    public ChannelLease(RedisConnection<String, String> connection, KeySpace keys, Duration ttl,
                        Duration pollInterval) {
        this.keys = keys;
        this.ttl = ttl;
        this.pollInterval = pollInterval;
        this.ttlMillis = Long.toString(ttl.toMillis());
        this.holdNanos = ttl.minus(margin(ttl)).toNanos();
        this.acquire = LuaScript.returningNumber(connection, ACQUIRE);
        this.release = LuaScript.returningNumber(connection, RELEASE);
        this.renew = LuaScript.returningNumber(connection, RENEW);
        this.renewer = Thread.ofVirtual().name("lease-renewer").start(this::renewLoop);
    }

    /**
     * How much sooner than the lease time a holder whose renewals fail gives its lease up: a fifth of
     * it. Redis counts the lease from when it ran the last renewal, the holder from when it sent it
     * (earlier, so on the safe side); the margin covers the holder noticing late (its next check) and
     * clocks that drift apart.
     */
    static Duration margin(Duration ttl) {
        return ttl.dividedBy(5);
    }

    /**
     * Takes a place in the channel's line: one Redis call, not waited for. Call in arrival order; then
     * {@link Ticket#acquire} on the worker thread and close the ticket when the answer is done.
     */
    public Ticket enqueue(String channel) {
        Ticket ticket = new Ticket(channel);
        ticket.renewedAt.set(System.nanoTime());
        ticket.joined = acquire.sendWhole(ticket.keys(), ticket.acquireArgs());
        live.add(ticket);
        ticket.previous = tails.put(channel, ticket.mine);
        return ticket;
    }

    @Override
    public void close() {
        renewer.interrupt();
    }

    /**
     * Renews every ticket every third of the lease time, without waiting for the replies, and, ten
     * times per lease time, looks for holders whose renewals have failed for longer than they may
     * hold: those lose their lease here before it can lapse in Redis. Looking comes first, so after
     * this thread was paused (a long GC pause, a stopped VM) a lease that may have lapsed meanwhile is
     * given up, not renewed.
     */
    private void renewLoop() {
        long period = TimeUnit.MILLISECONDS.toNanos(Math.max(50, ttl.toMillis() / 3));
        long check = Math.max(10, ttl.toMillis() / 10);
        long nextRenewal = System.nanoTime() + period;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(check);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Ticket ticket : live) {
                ticket.loseIfOverdue(now);
            }
            if (now - nextRenewal >= 0) {
                nextRenewal = now + period;
                int failed = failedRenewals.getAndSet(0);
                if (failed > 0) {
                    LOG.log(Level.WARNING, "Could not renew " + failed + " channel leases; retrying: " + failedBecause);
                }
                for (Ticket ticket : live) {
                    ticket.renew();
                }
            }
        }
    }

    private void renewalFailed(Throwable error) {
        failedRenewals.incrementAndGet();
        failedBecause = (error instanceof CompletionException && error.getCause() != null ? error.getCause() : error)
                .getMessage();
    }

    private String queueKey(String channel) {
        return keys.of("lease:", channel);
    }


    /**
     * A place in one channel's line; holds the lease between {@link #acquire} and {@link #close}, as
     * long as it is not {@link #lost}. Its {@link Fence} lets writes made under the lease be refused
     * in Redis once it no longer holds it.
     */
    public final class Ticket implements AutoCloseable, Fence {
        private final String channel;
        private final CompletableFuture<Void> mine = new CompletableFuture<>();
        private final String token = UUID.randomUUID().toString();
        /** Where the liveness keys of the channel's tickets begin. */
        private final String alivePrefix;
        private CompletableFuture<Void> previous;
        private CompletionStage<Long> joined;
        private volatile boolean held;
        /** When the last call that set this ticket's liveness key and succeeded was sent ({@link System#nanoTime}). */
        private final AtomicLong renewedAt = new AtomicLong();
        /** Why the lease was lost, or null while it is not (or not held); written under the ticket's monitor. */
        private volatile String lostBecause;
        private Consumer<String> onLost;
        /**
         * Orders renewal against release, so a renewal is never sent after the release; a renewal
         * that still crossed one (sent again whole after Redis forgot the script) sets nothing for a
         * holder that is no longer first in its line.
         */
        private final ReentrantLock renewal = new ReentrantLock();
        private volatile boolean released;

        private Ticket(String channel) {
            this.channel = channel;
            this.alivePrefix = keys.scope("lease-alive:", channel);
        }

        /**
         * Waits until this ticket is first in line, here and across instances.
         *
         * @throws LeaseUnavailableException when that takes longer than {@code maxWait}
         * @throws RedisException              when Redis could not be reached to join the line
         */
        public void acquire(Duration maxWait) throws LeaseUnavailableException, InterruptedException {
            boolean firstAtJoin = firstAtJoin();
            if (previous == null && firstAtJoin && !overdue(System.nanoTime())) {
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
            long sent = System.nanoTime();
            if (acquire.call(keys(), acquireArgs()) != 1L) {
                return false;
            }
            renewed(sent);
            return true;
        }

        private String[] keys() {
            return new String[] {queueKey(channel)};
        }

        private String[] acquireArgs() {
            return new String[] {token, ttlMillis, alivePrefix};
        }

        /** Sends a renewal without waiting for it; a lost ticket is not kept alive, so the line moves on past it. */
        private void renew() {
            renewal.lock();
            try {
                if (released || lostBecause != null) {
                    return;
                }
                boolean holding = held;
                long sent = System.nanoTime();
                ChannelLease.this.renew.callAsync(keys(), token, alivePrefix, ttlMillis, holding ? "1" : "0")
                        .whenComplete((kept, error) -> {
                            if (error != null) {
                                renewalFailed(error);
                            } else if (kept == 1L) {
                                renewed(sent);
                            } else {
                                lose("a renewal found it no longer first in the channel's line (another ticket "
                                        + "holds the lease, or Redis lost the line)");
                            }
                        });
            } catch (RuntimeException e) { // not even sent (a connection that rejects commands): the next may go
                renewalFailed(e);
            } finally {
                renewal.unlock();
            }
        }

        private void renewed(long sent) {
            renewedAt.accumulateAndGet(sent, (last, now) -> now - last > 0 ? now : last);
        }

        private boolean overdue(long now) {
            return now - renewedAt.get() > holdNanos;
        }

        private void loseIfOverdue(long now) {
            if (held && overdue(now)) {
                lose("its renewals failed for " + TimeUnit.NANOSECONDS.toMillis(now - renewedAt.get())
                        + " ms, longer than the lease time less a margin ("
                        + TimeUnit.NANOSECONDS.toMillis(holdNanos) + " ms)");
            }
        }

        /** Marks the lease lost, once, if it is held, and tells whoever {@link #whenLost asked}. */
        private void lose(String why) {
            Consumer<String> action;
            synchronized (this) {
                if (!held || released || lostBecause != null) {
                    return;
                }
                lostBecause = why;
                action = onLost;
            }
            if (action != null) {
                try {
                    action.accept(why);
                } catch (RuntimeException e) { // the renewer must go on for every other ticket
                    LOG.log(Level.WARNING, "Could not act on the lost lease of channel " + channel, e);
                }
            }
        }

        /**
         * Runs {@code action} with the reason once this ticket loses the lease it holds (at once if it
         * has already), on the renewer's thread: it must not block. Whatever runs under the lease
         * should stop: another instance may take the channel at any moment.
         */
        public void whenLost(Consumer<String> action) {
            String already;
            synchronized (this) {
                onLost = action;
                already = lostBecause;
            }
            if (already != null) {
                action.accept(already);
            }
        }

        @Override
        public boolean lost() {
            return held && (lostBecause != null || overdue(System.nanoTime()));
        }

        @Override
        public String line() {
            return queueKey(channel);
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public String alive() {
            return alivePrefix + token;
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
