package io.assistantstream.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

/**
 * Redis memory as the benchmark reads it: {@code MEMORY USAGE key SAMPLES 0} (every element counted,
 * not estimated) of the keys under the benchmark's prefix, listed with {@code SCAN} (never
 * {@code KEYS}), and {@code used_memory} from {@code INFO memory}, which counts everything in this
 * Redis: other users of it move it too, so growth is read beside the exact per-key sums.
 */
final class RedisMemory implements AutoCloseable {
    private static final Pattern USED_MEMORY = Pattern.compile("(?m)^used_memory:(\\d+)");

    private final RedisClient redis = RedisClient.create("redis://127.0.0.1:6379/0");
    private final StatefulRedisConnection<String, String> connection = redis.connect();

    /** {@code used_memory}: bytes Redis has allocated, all keys and buffers of all its users. */
    long usedMemory() {
        Matcher used = USED_MEMORY.matcher(connection.sync().info("memory"));
        return used.find() ? Long.parseLong(used.group(1)) : -1;
    }

    /** The keys matching the glob {@code match} that {@code keep} accepts, by SCAN. */
    List<String> keys(String match, Predicate<String> keep) {
        List<String> keys = new ArrayList<>();
        ScanIterator<String> scan = ScanIterator.scan(connection.sync(),
                KeyScanArgs.Builder.matches(match).limit(1000));
        while (scan.hasNext()) {
            String key = scan.next();
            if (keep.test(key)) {
                keys.add(key);
            }
        }
        return keys;
    }

    /**
     * The keys of one channel under {@code prefix}: those with the channel as a whole {@code :}-separated
     * part ({@code log:C}, {@code text:C}, {@code seq:C}, {@code answered:N:C:M}, ...).
     */
    List<String> keysOfChannel(String prefix, String channel) {
        return keys(prefix + "*" + channel + "*",
                key -> key.endsWith(":" + channel) || key.contains(":" + channel + ":"));
    }

    /** {@code MEMORY USAGE} of each key (SAMPLES 0: exact), in the order given; 0 for a key gone meanwhile. */
    Map<String, Long> usage(List<String> keys) {
        Map<String, Long> bytes = new LinkedHashMap<>();
        for (int from = 0; from < keys.size(); from += 1000) {
            List<String> batch = keys.subList(from, Math.min(keys.size(), from + 1000));
            List<RedisFuture<Long>> replies = new ArrayList<>();
            for (String key : batch) {
                replies.add(connection.async().dispatch(CommandType.MEMORY, new IntegerOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add("USAGE").addKey(key).add("SAMPLES").add(0)));
            }
            LettuceFutures.awaitAll(60, TimeUnit.SECONDS, replies.toArray(new RedisFuture<?>[0]));
            for (int i = 0; i < batch.size(); i++) {
                Long value = replies.get(i).toCompletableFuture().join();
                bytes.put(batch.get(i), value == null ? 0 : value);
            }
        }
        return bytes;
    }

    /** Whether a key exists. */
    boolean exists(String key) {
        return connection.sync().exists(key) > 0;
    }

    /** Entries of a stream. */
    long streamLength(String key) {
        return connection.sync().xlen(key);
    }

    /** Length of a string value. */
    long stringLength(String key) {
        return connection.sync().strlen(key);
    }

    /**
     * Samples {@code used_memory} every 250 ms until stopped: the highest value while {@code during}
     * holds (the peak of a window such as "every answer live").
     */
    Peak peak(BooleanSupplier during) {
        return new Peak(during);
    }

    @Override
    public void close() {
        connection.close();
        redis.shutdown();
    }

    /** A {@code used_memory} sampler; see {@link #peak}. */
    final class Peak {
        private final Thread sampler;
        private volatile long during = -1;

        private Peak(BooleanSupplier window) {
            sampler = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    if (window.getAsBoolean()) {
                        during = Math.max(during, usedMemory());
                    }
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        /** Stops sampling; the highest {@code used_memory} while the window held (-1: it never did). */
        long stop() throws InterruptedException {
            sampler.interrupt();
            sampler.join();
            return during;
        }
    }
}
