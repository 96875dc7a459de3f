package io.assistantstream.access;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The grants of the tokens one {@code /ws} connection presented (at the handshake, on a subscribe,
 * with {@code auth}): a channel is readable while any live one covers it. At most
 * {@value #MAX_TOKENS} live ones are kept, so a client refreshing its token forever cannot grow the
 * list: expired ones go, the same grant twice is kept once, and past the bound a new one is refused
 * (never one held dropped: that would end what it grants before its time, or, checked later, after).
 */
public final class ConnectionTokens {
    public static final int MAX_TOKENS = 16;

    private final List<ChannelGrant> grants = new ArrayList<>();

    /** Adds a verified token's grant; false, and nothing changes, when as many live ones are held as may be. */
    public synchronized boolean add(ChannelGrant grant, Instant now) {
        grants.removeIf(held -> !held.liveAt(now));
        if (grants.contains(grant)) {
            return true;
        }
        if (grants.size() >= MAX_TOKENS) {
            return false;
        }
        grants.add(grant);
        return true;
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
