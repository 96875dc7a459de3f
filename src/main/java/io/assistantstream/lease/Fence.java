package io.assistantstream.lease;

/**
 * What a write made under a channel's lease checks so that it is refused once the lease is no longer
 * its writer's: a fencing token. The lease is held while the list {@link #line()} has {@link #token()}
 * at its head and the key {@link #alive()} exists (a head whose liveness key is gone is skipped by the
 * next ticket that looks). A Redis script that writes for the holder checks both, in the same atomic
 * call as its write:
 *
 * <pre>{@code redis.call('LINDEX', line, 0) == token and redis.call('EXISTS', alive) == 1}</pre>
 *
 * <p>A holder that is paused, or cut off from Redis, cannot tell that its lease lapsed and another
 * instance took the channel; the check in Redis can. {@link #lost()} is the holder's own, earlier
 * knowledge: once true, it sends nothing more.
 */
public interface Fence {
    /** The channel's line: a Redis list whose head holds the lease. */
    String line();

    /** The holder's token, at the head of {@link #line()} while it holds the lease. */
    String token();

    /** The holder's liveness key, which exists while it holds the lease. */
    String alive();

    /**
     * Whether the holder knows its lease may have lapsed: a renewal found another ticket first, or its
     * renewals failed for longer than the lease time less a margin. Once the answer saw it true, the
     * answer stops; it may read false again later (the ticket closed, or a late renewal went through),
     * which changes nothing: Redis refuses the turn's frames whatever this says.
     */
    boolean lost();
}
