package io.assistantstream.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;


import io.assistantstream.observe.Meters;

/**
 * This instance's subscribers, by channel. The hub listens on its {@link FrameFeed} (Redis pub/sub) for exactly the
 * channels that have a subscriber here (SUBSCRIBE on the first, UNSUBSCRIBE after the last), so
 * frames published by any instance reach every subscriber and an instance receives only what its
 * clients want. A subscribe is acknowledged only once Redis confirmed it, so no frame published
 * after the acknowledgement can be missed. lettuce re-subscribes by itself after a reconnect.
 */
public final class SubscriberHub implements AutoCloseable {
    private static final int STRIPES = 64;

    private final FrameFeed feed;
    private final Map<String, Set<ClientWriter>> subscribers = new ConcurrentHashMap<>();
    private final Set<ClientWriter> clients = ConcurrentHashMap.newKeySet();
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final KeepAlive keepAlive;
    private final Meters meters;
    private final Duration pingInterval;

    /** A hub whose clients are pinged every {@code pingInterval}. */
    public SubscriberHub(FrameFeed feed, Duration pingInterval, Meters meters) {
        this.meters = meters;
        this.feed = feed;
        this.pingInterval = pingInterval;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        feed.listen((channel, frame) -> {
            Set<ClientWriter> writers = subscribers.get(channel);
            if (writers != null) {
                writers.forEach(writer -> writer.offer(frame));
            }
        });
        this.keepAlive = new KeepAlive(clients, pingInterval, meters); // last: a constructor that throws leaves no thread
    }

    /**
     * Adds a subscriber. {@code acknowledgement} is queued to the writer before the writer joins the
     * channel, so it always reaches the client ahead of the channel's first frame.
     */
    void subscribe(String channel, ClientWriter writer, String acknowledgement) {
        ReentrantLock lock = lockFor(channel);
        lock.lock();
        try {
            Set<ClientWriter> writers = subscribers.computeIfAbsent(channel, c -> ConcurrentHashMap.newKeySet());
            if (writers.isEmpty()) {
                try {
                    feed.subscribe(channel);
                } catch (RuntimeException e) {
                    subscribers.remove(channel);
                    throw e;
                }
            }
            writer.offer(acknowledgement);
            writers.add(writer);
        } finally {
            lock.unlock();
        }
    }

    void unsubscribe(String channel, ClientWriter writer) {
        ReentrantLock lock = lockFor(channel);
        lock.lock();
        try {
            Set<ClientWriter> writers = subscribers.get(channel);
            if (writers != null && writers.remove(writer) && writers.isEmpty()) {
                subscribers.remove(channel);
                feed.unsubscribe(channel);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A client connected. */
    void join(ClientWriter writer) {
        clients.add(writer);
        meters.websocketSessions().set(clients.size());
    }

    /** A client went away (after its unsubscribes). */
    void leave(ClientWriter writer) {
        clients.remove(writer);
        meters.websocketSessions().set(clients.size());
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
        return subscribers.size();
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
        feed.close();
    }

    private ReentrantLock lockFor(String channel) {
        return locks[Math.floorMod(channel.hashCode(), STRIPES)];
    }
}
