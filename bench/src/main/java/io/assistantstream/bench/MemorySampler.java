package io.assistantstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of the service during one window: the highest RSS sampled, and the heap taken once, at the
 * moment every answer of the step is live (-1 when jcmd gave no figure). The heap is either what is
 * in use, garbage included ({@code jcmd GC.heap_info}, cheap), or the live heap
 * ({@code jcmd GC.class_histogram}, which runs a full collection first and so disturbs latency).
 */
final class MemorySampler {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");
    private static final Pattern TOTAL = Pattern.compile("Total\\s+\\d+\\s+(\\d+)");

    private final long pid;
    private final Thread sampler;
    private volatile long peakRssKb;
    private final boolean liveHeap;
    private volatile long heapUsedMib = -1;
    /** With the live heap: its 15 largest classes, "MiB class" each. */
    private final List<String> largest = new CopyOnWriteArrayList<>();
    private boolean heapSampled;

    MemorySampler(long pid, AtomicInteger live, int target, boolean liveHeap) {
        this.pid = pid;
        this.liveHeap = liveHeap;
        this.sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakRssKb = Math.max(peakRssKb, ProcessStats.statusKb(pid, "VmRSS"));
                if (!heapSampled && live.get() >= target) {
                    heapSampled = true; // once: jcmd attaches to the service and costs it CPU
                    heapUsedMib = heapUsedMib();
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    void stop(Map<String, Object> row) {
        sampler.interrupt();
        row.put("peak_rss_mib", Math.max(peakRssKb, ProcessStats.statusKb(pid, "VmRSS")) / 1024);
        row.put(liveHeap ? "live_heap_mib" : "heap_used_mib", heapUsedMib);
        if (liveHeap) {
            row.put("live_heap_largest_classes", List.copyOf(largest));
        }
    }

    private long heapUsedMib() {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), liveHeap ? "GC.class_histogram" : "GC.heap_info").redirectErrorStream(true)
                    .start();
            String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (liveHeap) {
                Matcher rows = HISTOGRAM_ROW.matcher(out);
                while (largest.size() < 15 && rows.find()) {
                    double mib = Long.parseLong(rows.group(1)) / 1024.0 / 1024.0;
                    largest.add(LoadDriver.format(mib) + " " + rows.group(2));
                }
                Matcher total = TOTAL.matcher(out);
                return total.find() ? Long.parseLong(total.group(1)) / 1024 / 1024 : -1;
            }
            Matcher used = USED.matcher(out);
            return used.find() ? Long.parseLong(used.group(1)) / 1024 : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
