package io.assistantstream.admin;

import java.util.ArrayList;
import java.util.List;

/**
 * Statistics over the mapped channels (the seed's {@code --show-thread-stats}): how many, how old by
 * last message, how many messages, the most active channel, the oldest and newest conversation by
 * creation, and the bytes their keys take in Redis (with the index). A field with no channel to
 * report is null.
 */
public record ConversationStats(long threads, List<AgeBucket> ages, long messages, double averageMessages,
                          Channel mostActive, Channel oldest, Channel newest, long storageBytes) {

    /** Mappings whose last message is between {@code fromDays} and {@code toDays} (null: no limit) days old. */
    public record AgeBucket(int fromDays, Integer toDays, long threads, double percent) {
        public String label() {
            return toDays == null ? fromDays + "+ days" : fromDays + "-" + toDays + " days";
        }
    }

    /** A channel, with its message count and its conversation's creation time (epoch seconds, as stored). */
    public record Channel(String channel, long messages, String createdAt) {
    }

    /** The bounds of the age buckets, in days. */
    private static final int[] BOUNDS = {0, 1, 7, 30, 90};
    private static final double DAY_SECONDS = 86_400;

    /** Adds up channels one at a time. */
    static final class Tally {
        private final double now;
        private final long[] buckets = new long[BOUNDS.length];
        private long threads;
        private long messages;
        private long bytes;
        private Channel mostActive;
        private Channel oldest;
        private Channel newest;

        Tally(double nowSeconds) {
            this.now = nowSeconds;
        }

        void add(String channel, double lastMessageAt, long messageCount, String createdAt, long keyBytes) {
            threads++;
            messages += messageCount;
            bytes += keyBytes;
            double days = (now - lastMessageAt) / DAY_SECONDS;
            int bucket = BOUNDS.length - 1;
            while (bucket > 0 && days < BOUNDS[bucket]) {
                bucket--;
            }
            buckets[bucket]++;
            Channel seen = new Channel(channel, messageCount, createdAt);
            if (mostActive == null || messageCount > mostActive.messages()) {
                mostActive = seen;
            }
            if (!createdAt.isEmpty()) {
                double created = Double.parseDouble(createdAt);
                if (oldest == null || created < Double.parseDouble(oldest.createdAt())) {
                    oldest = seen;
                }
                if (newest == null || created > Double.parseDouble(newest.createdAt())) {
                    newest = seen;
                }
            }
        }

        ConversationStats stats(long indexBytes) {
            List<AgeBucket> ages = new ArrayList<>();
            for (int i = 0; i < BOUNDS.length; i++) {
                ages.add(new AgeBucket(BOUNDS[i], i + 1 < BOUNDS.length ? BOUNDS[i + 1] : null, buckets[i],
                        threads == 0 ? 0 : 100.0 * buckets[i] / threads));
            }
            return new ConversationStats(threads, List.copyOf(ages), messages, threads == 0 ? 0 : (double) messages / threads,
                    mostActive, oldest, newest, bytes + indexBytes);
        }
    }
}
