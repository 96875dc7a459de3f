package io.assistantstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Writes the results as JSON, as Markdown tables and as an SVG chart of relay latency against concurrency. */
final class Report {
    private Report() {
    }

    @SuppressWarnings("unchecked")
    static void write(Map<String, Object> results, Path dir, ObjectMapper json) throws IOException {
        Files.createDirectories(dir);
        json.writeValue(dir.resolve("latest.json").toFile(), results);
        StringBuilder md = new StringBuilder("# Benchmark results\n\n");
        Map<String, Object> conditions = (Map<String, Object>) results.get("conditions");
        conditions.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        List<Map<String, Object>> latencyRows = new ArrayList<>();
        results.forEach((scenario, result) -> {
            if (result instanceof Map<?, ?> map && map.containsKey("failed")) {
                md.append("\n## ").append(scenario).append(": FAILED\n\n").append(map.get("failed")).append('\n');
            }
        });
        if (results.get("relay") instanceof List<?> relay) {
            md.append("\n## Relay latency (batching off)\n\nService CPU per frame leaves out the JIT compiler threads"
                    + " (service_jit_share: their CPU in cores while the step ran). The latency splits at the frame's"
                    + " `timestamp`, taken in the service when it builds the frame (millisecond resolution):"
                    + " to_service = fake emit → frame built (OpenAI side, SSE read), from_service = frame built →"
                    + " received (publish, Redis pub/sub, WebSocket), and of that built_to_redis = frame built →"
                    + " seen on Redis pub/sub by a tap on every tenth channel (the publisher and Redis; the rest is"
                    + " the hub and the WebSocket).\n\n");
            table(md, (List<Map<String, Object>>) relay, List.of("answers", "tokens_per_second", "p50_ms", "p99_ms",
                    "max_ms", "to_service_p50_ms", "to_service_p99_ms", "from_service_p50_ms", "from_service_p99_ms",
                    "built_to_redis_p50_ms", "built_to_redis_p99_ms", "frames_per_second", "service_cpu_us_per_frame",
                    "service_kernel_fraction", "service_jit_share", "peak_rss_mib", "heap_used_mib", "errors"));
            latencyRows.addAll((List<Map<String, Object>>) relay);
        }
        if (results.get("cancel") instanceof List<?> cancel) {
            md.append("\n## Cancel (send of the /ws cancel → its cancelled frame; answers streaming at 50 tokens/s,"
                    + " each cancelled after its second text frame; same = the client's instance answers, across ="
                    + " another instance does, reached through Redis)\n\n");
            table(md, (List<Map<String, Object>>) cancel, List.of("instance", "cancels", "cancelled", "p50_ms", "p99_ms",
                    "max_ms"));
        }
        if (results.get("capacity") instanceof Map<?, ?> capacity && !capacity.containsKey("failed")) {
            md.append("\n## Capacity (5 tokens/s; held = p99 ≤ 250 ms, no errors, all live at once)\n\n");
            latencyRows.addAll(capacity(md, (Map<String, Object>) capacity));
        }
        if (results.get("capacity-cluster") instanceof Map<?, ?> both && !both.containsKey("failed")) {
            md.append("\n## Capacity on a Redis Cluster beside the standalone Redis (5 tokens/s; held = p99 ≤ 250"
                    + " ms, no errors, all live at once)\n\n").append(both.get("cluster_layout")).append(". Every"
                    + " process shares this machine's cores: on few cores this is the cluster's cost, not a"
                    + " speed-up.\n\n### Standalone\n\n");
            capacity(md, (Map<String, Object>) both.get("standalone"));
            md.append("\n### Cluster\n\n");
            capacity(md, (Map<String, Object>) both.get("cluster"));
            Map<String, Object> ratios = (Map<String, Object>) both.get("cluster_over_standalone");
            md.append("\n### Cluster / standalone\n\nLargest step held: **").append(ratios.get("largest_held"))
                    .append("×**; per step both ran (held: standalone / cluster):\n\n");
            plainTable(md, (List<Map<String, Object>>) ratios.get("steps"), List.of("answers", "held", "p50_ms",
                    "p99_ms", "max_ms", "built_to_redis_p99_ms", "frames_per_second", "service_cpu_us_per_frame",
                    "redis_cpu_us_per_frame", "all_cpu_us_per_frame", "redis_script_calls_per_frame"));
        }
        if (results.get("open") instanceof Map<?, ?> open && !open.containsKey("failed")) {
            md.append("\n## Answers open at once (one token every 2 s; live heap after a full collection)\n\n"
                    + "Redis: `used_memory` (INFO memory: all of this Redis, so its other users move it too) grown"
                    + " from just before the answers to its highest while all were live (sampled every 250 ms),"
                    + " also per answer; what was left grown once they completed (their logs are kept); and the"
                    + " exact `MEMORY USAGE` of the answers' keys then, per answer.\n\n");
            table(md, List.of((Map<String, Object>) open), List.of("answers", "held", "peak_live", "live_heap_mib",
                    "live_heap_kib_per_answer", "peak_rss_mib", "p50_ms", "p99_ms", "redis_growth_all_live_mib",
                    "redis_bytes_per_live_answer", "redis_growth_after_mib", "redis_key_bytes_per_answer_after",
                    "errors"));
        }
        if (results.get("throughput") instanceof Map<?, ?> throughput && !throughput.containsKey("failed")) {
            md.append("\n## Throughput (short answers, 200 channels)\n\n");
            table(md, List.of((Map<String, Object>) throughput), List.of("completed_per_second",
                    "p50_publish_to_completed_ms", "p99_publish_to_completed_ms", "p50_publish_to_started_ms",
                    "p50_started_to_completed_ms", "service_cpu_us_per_answer",
                    "service_kernel_fraction", "service_jit_share",
                    "completed", "errors"));
        }
        if (results.get("startup") instanceof Map<?, ?> startup && !startup.containsKey("failed")) {
            md.append("\n## Start-up (launch → ready, runtimes interleaved)\n\n");
            plainTable(md, (List<Map<String, Object>>) startup.get("runtimes"), List.of("runtime", "median_ms",
                    "runs_ms", "rss_at_ready_mib", "runtime_mib", "aot_cache_mib"));
        }
        if (results.get("resume") instanceof List<?> resume) {
            md.append("\n## Resume (live answers at 20 tokens/s; held = p99 ≤ 20 ms, no errors)\n\n"
                    + "Each resume opens a new connection and subscribes with `since` 5 to 20 frames behind the"
                    + " channel's live subscriber; timed from sending the subscribe to the frame whose seq reaches"
                    + " the live subscriber's latest at that moment (ack: to the `subscribed` reply, sent once the"
                    + " log is read; connect: the handshake before, not counted). Checked against the live"
                    + " subscriber: recovered, seqs above since and strictly increasing, each status, delta text"
                    + " and message the same. live: the live subscribers' relay latency in the same window."
                    + " quiet: resumes one at a time once every answer ended (the floor without load).\n\n");
            table(md, (List<Map<String, Object>>) resume, List.of("answers", "resumes", "held", "p50_ms", "p99_ms",
                    "max_ms", "ack_p50_ms", "ack_p99_ms", "connect_p99_ms", "missing_frames_mean",
                    "frames_until_caught_up_mean", "caught_up", "skipped", "errors", "error_kinds", "live_p50_ms",
                    "live_p99_ms", "quiet_p50_ms", "quiet_max_ms", "load_average_after"));
        }
        if (results.get("idle") instanceof Map<?, ?> idle && !idle.containsKey("failed")) {
            md.append("\n## Idle (subscribed clients, no traffic; held = service CPU ≤ 1% of one core)\n\n");
            table(md, List.of((Map<String, Object>) idle), List.of("clients", "seconds", "held",
                    "service_cpu_fraction", "service_cpu_ms", "service_jit_fraction", "busiest_threads",
                    "load_average_after"));
        }
        if (results.get("memory") instanceof Map<?, ?> memory && !memory.containsKey("failed")) {
            md.append("\n## Redis memory per answer (batching off: a frame per token; exact MEMORY USAGE of the"
                    + " channel's keys once the answer completed)\n\nother: the conversation store's keys of the"
                    + " channel (thread:, metadata:). The log keeps a channel's latest frames only, up to the"
                    + " service's limit, so past it an answer's bytes stop growing with its tokens but for its"
                    + " text.\n\n");
            plainTable(md, (List<Map<String, Object>>) memory.get("answers"), List.of("tokens", "frames_logged",
                    "answer_chars", "log_bytes", "log_bytes_per_frame", "text_bytes", "seq_bytes", "answered_bytes",
                    "other_bytes", "total_bytes", "bytes_per_token", "answer_seconds"));
        }
        Files.writeString(dir.resolve("latest.md"), md.toString());
        Files.writeString(dir.resolve("relay-latency.svg"), chart(latencyRows));
        System.out.println();
        System.out.println(md);
        System.out.println("written: " + dir.resolve("latest.json") + ", latest.md, relay-latency.svg");
    }

    /** The table of capacity's steps, its largest step held and the service's log problems; returns the steps. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> capacity(StringBuilder md, Map<String, Object> capacity) {
        List<Map<String, Object>> steps = (List<Map<String, Object>>) capacity.get("steps");
        table(md, steps, List.of("answers", "held", "p50_ms", "p99_ms", "max_ms", "to_service_p99_ms",
                "from_service_p99_ms", "built_to_redis_p99_ms", "peak_live", "frames_per_second",
                "service_cpu_us_per_frame", "redis_cpu_us_per_frame", "all_cpu_us_per_frame",
                "redis_script_calls_per_frame", "service_kernel_fraction", "service_jit_share", "peak_rss_mib",
                "heap_used_mib", "errors"));
        md.append("\nLargest step held: **").append(capacity.get("largest_held")).append("** live answers; the"
                + " service logged ").append(capacity.get("service_log_problems")).append(" lines at WARNING or"
                + " SEVERE once ready");
        List<String> problems = (List<String>) capacity.get("service_log_first_problems");
        if (problems != null && !problems.isEmpty()) {
            md.append(", the first:\n\n```\n").append(String.join("\n", problems)).append("\n```");
        }
        md.append('\n');
        return steps;
    }

    /** A Markdown table of {@code columns}. */
    private static void plainTable(StringBuilder md, List<Map<String, Object>> rows, List<String> columns) {
        md.append('|');
        columns.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n|").append(" --- |".repeat(columns.size())).append('\n');
        for (Map<String, Object> row : rows) {
            md.append('|');
            columns.forEach(c -> md.append(' ').append(row.get(c)).append(" |"));
            md.append('\n');
        }
    }

    /** A Markdown table of {@code columns}, plus each window's CPU shares and what limited it. */
    @SuppressWarnings("unchecked")
    private static void table(StringBuilder md, List<Map<String, Object>> rows, List<String> columns) {
        md.append('|');
        columns.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append(" CPU share (cores) | limited by |\n|");
        md.append(" --- |".repeat(columns.size() + 2)).append('\n');
        for (Map<String, Object> row : rows) {
            md.append('|');
            columns.forEach(c -> md.append(' ').append(row.get(c)).append(" |"));
            Map<String, Double> shares = (Map<String, Double>) row.get("cpu_share");
            md.append(' ').append(shares).append(" | ").append(limiter(shares)).append(" |\n");
        }
    }

    /**
     * What bounded a window: a process other than the service using most of a core, or all cores
     * busy (then the service competes with everything else on this machine).
     */
    static String limiter(Map<String, Double> shares) {
        int cores = Runtime.getRuntime().availableProcessors();
        double total = shares.values().stream().mapToDouble(Double::doubleValue).sum();
        List<String> busy = new ArrayList<>();
        shares.forEach((name, share) -> {
            if (!name.equals("service") && share >= 0.8) {
                busy.add(name + " (" + share + ")");
            }
        });
        if (!busy.isEmpty()) {
            return String.join(", ", busy);
        }
        if (total >= cores * 0.9) {
            return "all " + cores + " cores busy (" + String.format(Locale.ROOT, "%.2f", total) + ")";
        }
        return shares.getOrDefault("service", 0.0) >= 0.8 ? "service" : "none (idle capacity left)";
    }

    /** p50 and p99 relay latency against live answers, both axes logarithmic. */
    private static String chart(List<Map<String, Object>> rows) {
        int width = 640;
        int height = 400;
        int left = 70;
        int bottom = 50;
        double minX = 1;
        double maxX = 10_000;
        double minY = 0.1;
        double maxY = 10_000;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
                .append(height).append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
                .append("<text x=\"").append(width / 2).append("\" y=\"20\" text-anchor=\"middle\">")
                .append("Relay latency vs live answers (log-log)</text>\n");
        for (double x = minX; x <= maxX; x *= 10) {
            double px = left + Math.log10(x / minX) / Math.log10(maxX / minX) * (width - left - 20);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", px, px, height - bottom, px,
                    height - bottom + 16, (long) x));
        }
        for (double y = minY; y <= maxY; y *= 10) {
            double py = yPixel(y, minY, maxY, height, bottom);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n", left, py, width - 20, py,
                    left - 6, py + 4, y < 1 ? "0.1" : Long.toString((long) y)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">live answers</text>\n",
                width / 2, height - 12));
        String[][] series = {{"20", "p99_ms", "#c0392b"}, {"20", "p50_ms", "#e67e22"},
                {"5", "p99_ms", "#2c3e50"}, {"5", "p50_ms", "#2980b9"}};
        int legend = 0;
        for (String[] s : series) {
            StringBuilder points = new StringBuilder();
            for (Map<String, Object> row : rows) {
                boolean rateMatches = row.get("tokens_per_second") instanceof Number rate
                        && rate.doubleValue() == Double.parseDouble(s[0]);
                if (rateMatches && row.get(s[1]) instanceof Double v && !v.isNaN()) {
                    double px = left + Math.log10(((Number) row.get("answers")).doubleValue() / minX)
                            / Math.log10(maxX / minX) * (width - left - 20);
                    double py = yPixel(Math.max(minY, v), minY, maxY, height, bottom);
                    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                    svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                            px, py, s[2]));
                }
            }
            svg.append("<polyline fill=\"none\" stroke=\"").append(s[2]).append("\" points=\"").append(points)
                    .append("\"/>\n");
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s at %s tokens/s</text>\n",
                    left + 10, 45 + 16 * legend++, s[2], s[1].replace("_ms", ""), s[0]));
        }
        return svg.append("</svg>\n").toString();
    }

    private static double yPixel(double y, double minY, double maxY, int height, int bottom) {
        return height - bottom - Math.log10(y / minY) / Math.log10(maxY / minY) * (height - bottom - 30);
    }
}
