package io.assistantstream.hub;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.assistantstream.frames.LocalDelivery;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.observe.Meters;

/**
 * This instance's subscribers, by channel, and the two ways frames reach them: frames answered here
 * come straight from the publisher ({@link LocalDelivery}), before Redis has them; frames answered
 * elsewhere come from the {@link FrameFeed} (Redis pub/sub), which the hub listens on for exactly the
 * channels that have a subscriber here (SUBSCRIBE on the first, UNSUBSCRIBE after the last), so an
 * instance receives only what its clients want. Each channel's {@link ChannelFanOut} puts the two
 * in seq order, drops what Redis sends back of this instance's own frames, and fills gaps from the
 * frame log. A subscribe is acknowledged only once Redis confirmed it, so no frame published after
 * the acknowledgement can be missed; a subscribe with {@code since} is acknowledged once its replay
 * is read, and the replay goes out before any live frame.
 */
public final class SubscriberHub implements LocalDelivery, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SubscriberHub.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STRIPES = 64;
    private static final long CHECK_LATE_MILLIS = 20;

    private final FrameFeed feed;
    private final Map<String, ChannelFanOut> channels = new ConcurrentHashMap<>();
    private final Set<ClientWriter> clients = ConcurrentHashMap.newKeySet();
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final KeepAlive keepAlive;
    private final Meters meters;
    private final Duration pingInterval;
    private final int maxConnections;
    private final AtomicInteger connections = new AtomicInteger();
    /** Runs the checks of expiring channel tokens: one daemon thread for every connection's. */
    private final ScheduledThreadPoolExecutor expiries = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().name("token-expiry").daemon().factory());

    /** A hub whose clients are pinged every {@code pingInterval}, at most {@code maxConnections} at once. */
    public SubscriberHub(FrameFeed feed, Duration pingInterval, int maxConnections, Meters meters) {
        this.meters = meters;
        this.feed = feed;
        this.pingInterval = pingInterval;
        this.maxConnections = maxConnections;
        expiries.setRemoveOnCancelPolicy(true); // a refreshed token's check does not linger
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        feed.listen(new FrameFeed.Listener() {
            @Override
            public void frame(String channel, String json) {
                heard(channel, json);
            }

            @Override
            public void resumed(String channel) {
                ChannelFanOut fanOut = channels.get(channel);
                if (fanOut != null) {
                    fanOut.catchUp();
                }
            }
        });
        this.keepAlive = new KeepAlive(clients, pingInterval, meters); // last: a constructor that throws leaves no thread
    }

    /** A frame answered on this instance: to its subscribers here at once. */
    @Override
    public void deliver(NumberedFrame frame) {
        ChannelFanOut fanOut = channels.get(frame.channel());
        if (fanOut != null) {
            fanOut.offer(frame);
        }
    }

    /** A frame heard from Redis; this instance's own come back too, and are dropped by their seq. */
    private void heard(String channel, String json) {
        ChannelFanOut fanOut = channels.get(channel);
        if (fanOut == null) {
            return;
        }
        try {
            fanOut.offer(NumberedFrame.heard(channel, json));
        } catch (IllegalArgumentException e) {
            LOG.warning("Ignored a frame of channel " + channel + " heard from Redis: " + e.getMessage());
        }
    }

    /**
     * Adds a subscriber, replacing its earlier subscription to the channel if any. Without
     * {@code since}, the acknowledgement is queued before the subscriber joins, so it always reaches
     * the client ahead of the channel's first frame; with {@code since}, the subscriber joins holding
     * live frames back, and the acknowledgement ({@code recovered}: whether the log reached back),
     * the replay and the held frames follow once the log is read.
     *
     * @throws RuntimeException when Redis could not confirm the subscription
     */
    void subscribe(String channel, ClientWriter writer, Long since, boolean delta) {
        Subscription subscription = new Subscription(writer, delta, since);
        ReentrantLock lock = lockFor(channel);
        lock.lock();
        try {
            ChannelFanOut fanOut = channels.get(channel);
            if (fanOut == null) {
                fanOut = new ChannelFanOut(channel, (c, after) -> feed.read(c, after, false));
                long latest = feed.latest(channel); // before SUBSCRIBE: a frame after it is news or a gap
                feed.subscribe(channel); // throws: nothing was added
                fanOut.startAt(latest);
                channels.put(channel, fanOut);
            }
            Subscription earlier = fanOut.add(subscription, since != null ? () -> { }
                    : () -> writer.offer(acknowledgement(channel, null)));
            if (earlier != null) {
                earlier.end();
            }
        } finally {
            lock.unlock();
        }
        if (since != null) {
            feed.read(channel, since, true).whenComplete((read, error) -> {
                if (error == null) {
                    subscription.replayed(acknowledgement(channel, read.recovered()), read);
                } else {
                    LOG.warning("Could not read the frame log of channel " + channel + ": " + error);
                    subscription.notReplayed(JSON.createObjectNode().put("type", "error").put("status", "error")
                            .put("message", "subscribed to " + channel + ", but its earlier frames could not be"
                                    + " read right now; subscribe again with since to get them").toString());
                }
            });
        }
    }

    private static String acknowledgement(String channel, Boolean recovered) {
        ObjectNode ack = JSON.createObjectNode().put("type", "subscribed").put("channel", channel);
        if (recovered != null) {
            ack.put("recovered", recovered);
        }
        return ack.toString();
    }

    void unsubscribe(String channel, ClientWriter writer) {
        ReentrantLock lock = lockFor(channel);
        lock.lock();
        try {
            ChannelFanOut fanOut = channels.get(channel);
            Subscription subscription = fanOut == null ? null : fanOut.subscriptionOf(writer);
            if (subscription == null) {
                return;
            }
            subscription.end();
            if (fanOut.remove(subscription)) {
                channels.remove(channel);
                fanOut.close();
                feed.unsubscribe(channel);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A client connected; false, and it is not joined, when this instance holds as many as it may. */
    boolean join(ClientWriter writer) {
        if (connections.incrementAndGet() > maxConnections) {
            connections.decrementAndGet();
            meters.websocketConnectionsRefused().increment();
            return false;
        }
        clients.add(writer);
        meters.websocketSessions().set(clients.size());
        return true;
    }

    /** A client that joined went away (after its unsubscribes). */
    void leave(ClientWriter writer) {
        if (clients.remove(writer)) {
            connections.decrementAndGet();
        }
        meters.websocketSessions().set(clients.size());
    }

    /** The most clients this instance holds at once. */
    int maxConnections() {
        return maxConnections;
    }

    /**
     * Runs {@code check} just after {@code when} (at once if it has passed); cancel it when no longer
     * wanted. The executor keeps time by the monotonic clock, which may run a little apart from the
     * wall clock that {@code when} is on: a few milliseconds late, the check never comes early.
     */
    Future<?> at(Instant when, Runnable check) {
        long delay = Math.max(0, Duration.between(Instant.now(), when).toMillis() + CHECK_LATE_MILLIS);
        return expiries.schedule(() -> {
            try {
                check.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A check of expiring channel tokens failed", e);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** Closes every client with 1001 (going away), all at once; returns when they are closed. */
    public void goAway() {
        List<Thread> closing = new ArrayList<>();
        for (ClientWriter client : clients) {
            closing.add(Thread.ofVirtual().name("ws-going-away").start(client::goAway));
        }
        for (Thread thread : closing) {
            try {
                thread.join(ClientWriter.CLOSE_GRACE.multipliedBy(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /** Clients connected to this instance now. */
    public int clients() {
        return clients.size();
    }

    /** Channels with at least one subscriber on this instance now (each one a Redis subscription). */
    public int channels() {
        return channels.size();
    }

    /** How often its clients are pinged. */
    Duration pingInterval() {
        return pingInterval;
    }

    /** The meters its clients record in. */
    Meters meters() {
        return meters;
    }

    @Override
    public void close() {
        keepAlive.close();
        expiries.shutdownNow();
        feed.close();
    }

    private ReentrantLock lockFor(String channel) {
        return locks[Math.floorMod(channel.hashCode(), STRIPES)];
    }
}
