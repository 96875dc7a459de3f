package io.assistantstream.bench;

import java.util.Arrays;

/** Latency samples in microseconds, thread-safe, with percentiles. */
final class Latencies {
    private long[] samples = new long[1 << 16];
    private int count;

    synchronized void add(long micros) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = micros;
    }

    synchronized int count() {
        return count;
    }

    /** The p-th percentile (0–100) in milliseconds, or NaN without samples. */
    synchronized double percentileMillis(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        int index = (int) Math.min(count - 1, Math.max(0, Math.ceil(p / 100 * count) - 1));
        return Math.round(sorted[index] / 10.0) / 100.0;
    }
}
