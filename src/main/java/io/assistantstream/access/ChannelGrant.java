package io.assistantstream.access;

import java.time.Instant;
import java.util.List;

/**
 * What one verified token grants: the channels named exactly, every channel that starts with one of
 * {@code prefixes} (a claim entry {@code "team-7/*"}; {@code "*"} alone is every channel), until
 * {@code expires}.
 */
public record ChannelGrant(List<String> exact, List<String> prefixes, Instant expires) {
    public ChannelGrant {
        exact = List.copyOf(exact);
        prefixes = List.copyOf(prefixes);
    }

    /** Reads the {@code channels} claim's entries. */
    static ChannelGrant of(List<String> entries, Instant expires) {
        List<String> exact = entries.stream().filter(entry -> !entry.endsWith("*")).toList();
        List<String> prefixes = entries.stream().filter(entry -> entry.endsWith("*"))
                .map(entry -> entry.substring(0, entry.length() - 1)).toList();
        return new ChannelGrant(exact, prefixes, expires);
    }

    /** Whether this grant covers {@code channel} (expiry aside). */
    public boolean covers(String channel) {
        return exact.contains(channel) || prefixes.stream().anyMatch(channel::startsWith);
    }

    /** Whether it still holds at {@code now}. */
    public boolean liveAt(Instant now) {
        return now.isBefore(expires);
    }
}
