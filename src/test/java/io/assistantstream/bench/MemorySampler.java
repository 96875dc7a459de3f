package io.assistantstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of the service during one window: the highest RSS sampled, and the heap in use (from
 * {@code jcmd GC.heap_info}) taken once, at the moment every answer of the step is live (-1 when
 * jcmd gave no figure).
 */
final class MemorySampler {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private final long pid;
    private final Thread sampler;
    private volatile long peakRssKb;
    private volatile long heapUsedMib = -1;
    private boolean heapSampled;

    MemorySampler(long pid, AtomicInteger live, int target) {
        this.pid = pid;
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
        row.put("heap_used_mib", heapUsedMib);
    }

    private long heapUsedMib() {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            Matcher used = USED.matcher(new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            return used.find() ? Long.parseLong(used.group(1)) / 1024 : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
