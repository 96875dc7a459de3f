package io.assistantstream.access;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The grants of the tokens one {@code /ws} connection presented (at the handshake, on a subscribe,
 * with {@code auth}): a channel is readable while any live one covers it. At most
 * {@value #MAX_TOKENS} are kept: a client refreshing its token forever must not grow the list, so
 * expired ones go, and past the bound the one that expires first makes room.
 */
public final class ConnectionTokens {
    static final int MAX_TOKENS = 16;

    private final List<ChannelGrant> grants = new ArrayList<>();

    /** Adds a verified token's grant. */
    public synchronized void add(ChannelGrant grant, Instant now) {
        grants.removeIf(held -> !held.liveAt(now));
        if (grants.size() >= MAX_TOKENS) {
            grants.remove(grants.stream().min(Comparator.comparing(ChannelGrant::expires)).orElseThrow());
        }
        grants.add(grant);
    }

    /** Whether a live token covers {@code channel} at {@code now}. */
    public synchronized boolean allows(String channel, Instant now) {
        return grants.stream().anyMatch(grant -> grant.liveAt(now) && grant.covers(channel));
    }

    /** When the next live token expires: the moment some channel may stop being readable. */
    public synchronized Optional<Instant> nextExpiry(Instant now) {
        return grants.stream().filter(grant -> grant.liveAt(now)).map(ChannelGrant::expires).min(Comparator.naturalOrder());
    }
}
