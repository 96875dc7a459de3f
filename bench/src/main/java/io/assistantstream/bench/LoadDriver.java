package io.assistantstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.store.AnsweredMessages;
import io.assistantstream.testing.Launched;
import io.assistantstream.testing.RedisCluster;

/**
 * The benchmark: starts the built service and a fake OpenAI as processes of their own, drives them
 * through RabbitMQ and WebSocket subscribers on loopback, and reports relay latency, capacity,
 * answers open at once, throughput, start-up, resuming clients, the idle service's CPU, the Redis
 * memory an answer takes and how fast a cancel ends its answer, with every process's CPU share in
 * each window so a figure can be read beside what limited it; and, named only, capacity on a Redis
 * Cluster beside the standalone Redis.
 * {@code LoadDriver [relay] [capacity] [open] [throughput] [startup] [resume] [idle] [memory] [cancel]
 * [capacity-cluster] [--quick] [--out DIR]}; no scenario named runs all but capacity-cluster.
 */
public final class LoadDriver {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /**
     * The figures of capacity that compare between two runs, cluster over standalone: per step, as each
     * step's own row; a step only one of them reached has no ratio.
     */
    private static final List<String> COMPARED = List.of("p50_ms", "p99_ms", "max_ms", "built_to_redis_p99_ms",
            "frames_per_second", "service_cpu_us_per_frame", "redis_cpu_us_per_frame", "all_cpu_us_per_frame",
            "redis_script_calls_per_frame");

    private final boolean quick;
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, Object> results = new LinkedHashMap<>();
    private Launched fake;
    private int fakePort;
    private Connection amqp;
    private Channel publisher;
    /** The Redis the services started now run on: the standalone one, but while capacity-cluster runs its cluster. */
    private RedisUnderTest serviceRedis = RedisUnderTest.standalone();
    /** Warm-ups so far: each one's messages are new, or the service would repeat answers it recorded. */
    private int warmUps;

    private LoadDriver(boolean quick) {
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        List<String> scenarios = new ArrayList<>();
        boolean quick = false;
        Path out = Path.of("bench/results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> scenarios.add(args[i]);
            }
        }
        if (scenarios.isEmpty()) {
            scenarios = List.of("relay", "capacity", "open", "throughput", "startup", "resume", "idle", "memory",
                    "cancel");
        }
        LoadDriver driver = new LoadDriver(quick);
        boolean allRan;
        try {
            allRan = driver.run(scenarios, out);
        } finally {
            driver.cleanUp();
        }
        System.exit(allRan ? 0 : 1);
    }

    /** Runs the scenarios and writes the report; false if any scenario failed. */
    private boolean run(List<String> scenarios, Path out) throws Exception {
        results.put("conditions", conditions());
        fake = new Launched(List.of(java(), "-cp", System.getProperty("java.class.path"),
                "io.assistantstream.fake.FakeOpenAi"), Map.of(), Pattern.compile("listening (\\d+)"));
        fakePort = fake.awaitReady(30);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        amqp = factory.newConnection("bench-driver");
        publisher = amqp.createChannel();
        boolean allRan = true;
        for (String scenario : scenarios) {
            System.out.println("== " + scenario + (quick ? " (quick)" : ""));
            try {
                results.put(scenario, switch (scenario) {
                    case "relay" -> relay();
                    case "capacity" -> capacity("capacity");
                    case "capacity-cluster" -> capacityCluster();
                    case "open" -> open();
                    case "throughput" -> throughput();
                    case "startup" -> startup();
                    case "resume" -> resume();
                    case "idle" -> idle();
                    case "memory" -> memory();
                    case "cancel" -> cancel();
                    default -> throw new IllegalArgumentException("unknown scenario " + scenario
                            + " (relay, capacity, open, throughput, startup, resume, idle, memory, cancel,"
                            + " capacity-cluster)");
                });
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (Exception e) {
                // the other scenarios still run and the report is still written; the exit code says it
                allRan = false;
                System.out.println("   FAILED: " + e);
                results.put(scenario, Map.of("failed", e.toString()));
            }
        }
        Report.write(results, out, JSON);
        return allRan;
    }

    /** 1, 100 and 1,000 concurrent answers of ~100 tokens at 20 tokens/s, batching off. */
    private List<Map<String, Object>> relay() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        int[] steps = quick ? new int[] {1, 10} : new int[] {1, 100, 1000};
        try (Launched service = startService(Map.of("WORKER_CONCURRENCY", "20000"))) {
            int port = service.awaitReady(60);
            warmUp(service, port);
            for (int answers : steps) {
                rows.add(answers(service, port, answers, quick ? 20 : 100, 50, "relay", false, null));
            }
        }
        return rows;
    }

    /**
     * Streams rounds of answers shaped like the scenarios' until the JIT compilers have settled
     * (under 0.05 cores in the last round, at most 20 rounds): until then they take up to half the
     * service's CPU, and the steps would measure compilation, not relaying. Each warm-up's messages
     * are its own: the service repeats the recorded answer of a message id it answered before.
     */
    private void warmUp(Launched service, int port) throws Exception {
        int rounds = quick ? 1 : 20;
        int perRound = quick ? 20 : 300;
        String tag = "warm" + warmUps++;
        List<String> channels = channels(tag, 100);
        try (Subscribers subscribers = new Subscribers(port, channels)) {
            for (int round = 0; round < rounds; round++) {
                long compilerBefore = ProcessStats.compilerMicros(service.pid());
                long start = System.nanoTime();
                subscribers.expect(perRound);
                for (int i = 0; i < perRound; i++) {
                    publish(channels.get(i % channels.size()), tag + "-" + round + "-" + i, "!words=100 !stamp",
                            subscribers);
                }
                if (!subscribers.await(300)) {
                    throw new IllegalStateException("the warm-up did not finish");
                }
                double jit = (ProcessStats.compilerMicros(service.pid()) - compilerBefore) / 1e3
                        / ((System.nanoTime() - start) / 1e6);
                if (jit < 0.05) {
                    System.out.printf(Locale.ROOT, "   warmed up in %d rounds (JIT %.2f cores)%n", round + 1, jit);
                    return;
                }
            }
            System.out.println("   warm-up ended with the JIT still busy");
        }
    }

    /**
     * Live answers stepped up at 5 tokens/s until p99 relay latency passes 250 ms or answers fail, with
     * the service on {@link #serviceRedis}; {@code tag} names the steps' channels and messages, so that
     * no run meets the answers another one recorded. Also how many lines the service logged at WARNING
     * or SEVERE once it was ready (the warm-up too), and the first few.
     */
    private Map<String, Object> capacity(String tag) throws Exception {
        int[] steps = quick ? new int[] {20} : new int[] {500, 1000, 2000, 4000, 6000, 8000, 10000};
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> held = null;
        Map<String, Object> capacity = new LinkedHashMap<>();
        capacity.put("redis", serviceRedis.name());
        capacity.put("steps", rows);
        try (Launched service = startService(Map.of("WORKER_CONCURRENCY", "20000"))) {
            int port = service.awaitReady(60);
            long atReady = service.problemCount(); // its warnings about its settings
            warmUp(service, port);
            for (int answers : steps) {
                Map<String, Object> row = answers(service, port, answers, quick ? 10 : 40, 200, tag, false, null);
                rows.add(row);
                boolean ok = (double) row.get("p99_ms") <= 250 && (int) row.get("errors") == 0
                        && (boolean) row.get("all_live_at_once") && (boolean) row.get("all_completed");
                row.put("held", ok);
                if (!ok) {
                    break;
                }
                held = row;
            }
            capacity.put("largest_held", held == null ? 0 : held.get("answers"));
            List<String> problems = service.firstProblems();
            int from = (int) Math.min(atReady, problems.size());
            capacity.put("service_log_problems", service.problemCount() - atReady);
            capacity.put("service_log_first_problems", problems.subList(from, Math.min(problems.size(), from + 5)));
        }
        return capacity;
    }

    /**
     * Capacity on a Redis Cluster beside the standalone Redis, in one run: capacity's steps with the
     * service on the standalone Redis, then on a cluster of three masters with a replica each started
     * for it ({@link RedisCluster}: six {@code redis-server}s on this machine, stopped afterwards, failed
     * or not, the benchmark's keys there going with them), and the ratio cluster / standalone of the
     * largest step held and of each figure of the steps both ran. On a machine of few cores the
     * cluster's six processes share them with the service and all else: this shows what the cluster
     * costs, not what it would gain on machines of its own.
     */
    private Map<String, Object> capacityCluster() throws Exception {
        Map<String, Object> standalone = capacity("capacity-standalone");
        Map<String, Object> cluster;
        try (RedisCluster nodes = new RedisCluster()) {
            serviceRedis = RedisUnderTest.cluster(nodes);
            cluster = capacity("capacity-cluster");
        } finally {
            serviceRedis = RedisUnderTest.standalone();
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> before = (List<Map<String, Object>>) standalone.get("steps");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> after = (List<Map<String, Object>>) cluster.get("steps");
        List<Map<String, Object>> steps = new ArrayList<>();
        for (int i = 0; i < Math.min(before.size(), after.size()); i++) {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("answers", before.get(i).get("answers"));
            step.put("held", before.get(i).get("held") + " / " + after.get(i).get("held"));
            for (String figure : COMPARED) {
                step.put(figure, ratio(before.get(i).get(figure), after.get(i).get(figure)));
            }
            steps.add(step);
        }
        Map<String, Object> ratios = new LinkedHashMap<>();
        ratios.put("largest_held", ratio(standalone.get("largest_held"), cluster.get("largest_held")));
        ratios.put("steps", steps);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("cluster_layout", "3 masters + 3 replicas (redis-server processes on this machine; CPU shares:"
                + " redis = the masters, redis_replicas = the replicas)");
        result.put("standalone", standalone);
        result.put("cluster", cluster);
        result.put("cluster_over_standalone", ratios);
        System.out.println("   cluster / standalone: " + ratios);
        return result;
    }

    /** {@code after / before} with two decimals, null where either is missing, not a number, or before is 0. */
    private static Double ratio(Object before, Object after) {
        if (!(before instanceof Number b) || !(after instanceof Number a) || b.doubleValue() == 0
                || Double.isNaN(b.doubleValue()) || Double.isNaN(a.doubleValue())) {
            return null;
        }
        return Math.round(a.doubleValue() / b.doubleValue() * 100) / 100.0;
    }

    /**
     * 10,000 answers open at once at one token every 2 s, under the service's heap limit: the live heap
     * (after a full collection) with all of them open, per answer, and whether they all completed; and
     * what they take in Redis (see {@link #answers}).
     */
    private Map<String, Object> open() throws Exception {
        int answers = quick ? 50 : 10_000;
        try (Launched service = startService(Map.of("WORKER_CONCURRENCY", "20000"));
             RedisMemory redis = new RedisMemory()) {
            int port = service.awaitReady(60);
            Map<String, Object> row = answers(service, port, answers, quick ? 4 : 30, 2000, "open", true, redis);
            long live = (long) row.get("live_heap_mib");
            row.put("live_heap_kib_per_answer", live < 0 ? -1 : live * 1024 / answers);
            row.put("held", (int) row.get("errors") == 0 && (boolean) row.get("all_live_at_once")
                    && (boolean) row.get("all_completed"));
            return row;
        }
    }

    /**
     * Runs {@code answers} concurrent answers, one per channel, and measures them. With {@code redis},
     * also Redis memory: {@code used_memory} grown from just before the answers are published to its
     * highest while every answer is live (sampled every 250 ms; this Redis's other users move it too),
     * and, once they completed, the growth left (the channels' logs are kept for a while) and the exact
     * {@code MEMORY USAGE} of the step's channels' keys.
     */
    private Map<String, Object> answers(Launched service, int port, int answers, int tokens, int delayMs, String tag,
                                        boolean liveHeap, RedisMemory redis) throws Exception {
        List<String> channels = channels(tag + answers, answers);
        try (Subscribers subscribers = new Subscribers(port, channels);
             RedisTap tap = new RedisTap(serviceRedis, "bench:" + id + ":", channels, 10)) {
            subscribers.expect(answers);
            MemorySampler memory = new MemorySampler(service.pid(), subscribers.live, answers, liveHeap);
            long redisBefore = redis == null ? 0 : redis.usedMemory();
            RedisMemory.Peak redisPeak = redis == null ? null : redis.peak(() -> subscribers.live.get() >= answers);
            long scriptCalls = serviceRedis.scriptCalls();
            ProcessStats.Window window = window(service);
            for (int i = 0; i < answers; i++) {
                publish(channels.get(i), tag + "-" + i, "!words=" + tokens + " !delay=" + delayMs + " !stamp",
                        subscribers);
            }
            boolean completed = subscribers.await(60L + (long) tokens * delayMs / 1000 + answers / 50);
            double seconds = window.seconds();
            long frames = subscribers.frames.get();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("answers", answers);
            row.put("tokens_per_answer", tokens);
            row.put("tokens_per_second", 1000.0 / delayMs);
            row.put("p50_ms", subscribers.relay.percentileMillis(50));
            row.put("p99_ms", subscribers.relay.percentileMillis(99));
            row.put("max_ms", subscribers.relay.percentileMillis(100));
            row.put("to_service_p50_ms", subscribers.toService.percentileMillis(50));
            row.put("to_service_p99_ms", subscribers.toService.percentileMillis(99));
            row.put("from_service_p50_ms", subscribers.fromService.percentileMillis(50));
            row.put("from_service_p99_ms", subscribers.fromService.percentileMillis(99));
            row.put("built_to_redis_p50_ms", tap.toRedis.percentileMillis(50));
            row.put("built_to_redis_p99_ms", tap.toRedis.percentileMillis(99));
            row.put("frames", frames);
            row.put("frames_per_second", Math.round(frames / seconds));
            long serviceCpu = window.cpuMicros("service") - window.compilerMicros("service");
            row.put("service_cpu_us_per_frame", frames == 0 ? 0 : serviceCpu / frames);
            row.put("redis_cpu_us_per_frame", frames == 0 ? 0 : window.cpuMicrosOf("redis") / frames);
            row.put("all_cpu_us_per_frame", frames == 0 ? 0 : window.cpuMicros() / frames);
            row.put("redis_script_calls_per_frame", frames == 0 ? 0
                    : Math.round((serviceRedis.scriptCalls() - scriptCalls) * 1000.0 / frames) / 1000.0);
            row.put("service_jit_share", Math.round(window.compilerMicros("service") / seconds / 1e4) / 100.0);
            row.put("service_kernel_fraction", window.systemFraction("service"));
            row.put("errors", subscribers.errors.get());
            row.put("all_completed", completed);
            row.put("all_live_at_once", subscribers.peakLive.get() >= answers);
            row.put("peak_live", subscribers.peakLive.get());
            row.put("cpu_share", window.shares());
            memory.stop(row);
            if (redis != null) {
                redisUse(redis, redisBefore, redisPeak, tag + answers, answers, row);
            }
            System.out.println("   " + row);
            return row;
        }
    }

    /** The Redis memory figures of a step of {@code answers} answers on channels named {@code tag-N}. */
    private void redisUse(RedisMemory redis, long before, RedisMemory.Peak peak, String tag, int answers,
                          Map<String, Object> row) throws InterruptedException {
        long allLive = peak.stop();
        long after = redis.usedMemory();
        String prefix = "bench:" + id + ":";
        long keyBytes = redis.usage(redis.keys(prefix + "*" + tag + "-*", key -> true)).values().stream()
                .mapToLong(Long::longValue).sum();
        row.put("redis_used_memory_before_mib", mib(before));
        row.put("redis_growth_all_live_mib", allLive < 0 ? -1 : mib(allLive - before));
        row.put("redis_bytes_per_live_answer", allLive < 0 ? -1 : (allLive - before) / answers);
        row.put("redis_growth_after_mib", mib(after - before));
        row.put("redis_key_bytes_per_answer_after", keyBytes / answers);
    }

    private static double mib(long bytes) {
        return Math.round(bytes / 1024.0 / 1024.0 * 10) / 10.0;
    }

    /**
     * Clients resuming while answers stream at 20 tokens/s (batching off): 100 then 1,000 live answers
     * (quick: 50), the 100 step showing the figure on a machine not yet saturated. In each step 1,000
     * resumes (quick: 50), one every 5 ms (20 per 100 ms; quick: every 20 ms) from the moment channels
     * have frames to miss, over the answers' lifetime (120 tokens, 6 s; quick: 40). Each opens a
     * connection of its own, subscribes with {@code since} 5 to 20 frames behind the channel's live
     * subscriber, and is timed from the subscribe to the frame that brings it up to where the live
     * subscriber was, then closes; its frames are checked against the live subscriber's
     * ({@link Resumes}). The live subscribers' relay latency in the same window is reported beside it,
     * and, as the floor without load, resumes made one at a time once every answer has ended (quiet_*).
     */
    private List<Map<String, Object>> resume() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        int[] steps = quick ? new int[] {50} : new int[] {100, 1000};
        try (Launched service = startService(Map.of("WORKER_CONCURRENCY", "20000"))) {
            int port = service.awaitReady(60);
            warmUp(service, port);
            for (int answers : steps) {
                rows.add(resumeStep(service, port, answers));
            }
        }
        return rows;
    }

    /**
     * Cancels timed from the {@code /ws} client's send to its {@code cancelled} frame: 200 answers
     * (quick: 20), one after the other, each cancelled after its second text frame. {@code same}: the
     * client's instance answers; {@code across}: the client is on a second instance that consumes
     * another queue (so never answers), and the cancel reaches the answering one through Redis.
     */
    private List<Map<String, Object>> cancel() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        int count = quick ? 20 : 200;
        try (Launched answering = startService(Map.of())) {
            int port = answering.awaitReady(60);
            rows.add(cancelStep("same", answering, port, count));
            try (Launched hub = startService(Map.of("QUEUE_NAME", "bench_" + id + "_hub_queue", "ROUTING_KEY",
                    "bench_" + id + "_hub_key"))) {
                rows.add(cancelStep("across", answering, hub.awaitReady(60), count));
            }
        }
        return rows;
    }

    private Map<String, Object> cancelStep(String where, Launched answering, int port, int count) throws Exception {
        List<String> channels = channels("cancel-" + where, 10);
        int cancelled = 0;
        ProcessStats.Window window = window(answering);
        try (CancelTimer timer = new CancelTimer(port, channels)) {
            for (int i = 0; i < count; i++) {
                String channel = channels.get(i % channels.size());
                String messageId = "cancel-" + where + "-" + i;
                var ended = timer.expect(channel, messageId);
                publish(channel, messageId, "!words=200 !delay=20", null);
                if ("cancelled".equals(ended.get(30, TimeUnit.SECONDS))) {
                    cancelled++;
                }
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("instance", where);
            row.put("cancels", count);
            row.put("cancelled", cancelled);
            row.put("p50_ms", timer.cancelled.percentileMillis(50));
            row.put("p99_ms", timer.cancelled.percentileMillis(99));
            row.put("max_ms", timer.cancelled.percentileMillis(100));
            row.put("cpu_share", window.shares());
            System.out.println("   " + row);
            return row;
        }
    }

    private Map<String, Object> resumeStep(Launched service, int port, int answers) throws Exception {
        int resumes = quick ? 50 : 1000;
        int tokens = quick ? 40 : 120;
        long periodNanos = quick ? 20_000_000 : 5_000_000;
        List<String> channels = channels("resume" + answers, answers);
        try (Subscribers subscribers = new Subscribers(port, channels);
             Resumes resumed = new Resumes(port, channels)) {
            subscribers.onEveryFrame(resumed::original);
            subscribers.expect(answers);
            ProcessStats.Window window = window(service);
            for (int i = 0; i < answers; i++) {
                publish(channels.get(i), "resume-" + i, "!words=" + tokens + " !delay=50 !stamp", subscribers);
            }
            int started = 0;
            long next = System.nanoTime();
            while (started < resumes && !resumed.allEnded()) {
                next += periodNanos;
                LockSupport.parkNanos(next - System.nanoTime());
                if (resumed.start(5 + started % 16)) {
                    started++;
                }
            }
            boolean completed = subscribers.await(60L + tokens / 20 + answers / 50);
            resumed.quiet(quick ? 5 : 20, 10);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("answers", answers);
            row.put("tokens_per_answer", tokens);
            row.put("tokens_per_second", 20.0);
            row.putAll(resumed.finish(30));
            row.put("held", (double) row.get("p99_ms") <= 20 && (int) row.get("errors") == 0
                    && (int) row.get("resumes") == resumes);
            row.put("live_p50_ms", subscribers.relay.percentileMillis(50));
            row.put("live_p99_ms", subscribers.relay.percentileMillis(99));
            row.put("live_errors", subscribers.errors.get());
            row.put("all_completed", completed);
            row.put("cpu_share", window.shares());
            row.put("load_average_after", loadAverage());
            System.out.println("   " + row);
            return row;
        }
    }

    /**
     * The machine's 1-minute load average: this suite shares the machine, and a figure taken while
     * other work kept the cores busy is read as such.
     */
    private static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    /**
     * The service with nothing to do: started, connected to RabbitMQ and Redis, 100 WebSocket clients
     * connected and subscribed to a channel each, no message; after a settle (10 s, quick 2 s), its CPU
     * over 30 s (quick 5 s) as a share of one core (from {@code /proc}, 10 ms ticks), the JIT compiler
     * threads' part of it, and the threads that used the most.
     */
    private Map<String, Object> idle() throws Exception {
        int clients = 100;
        long settleSeconds = quick ? 2 : 10;
        long seconds = quick ? 5 : 30;
        try (Launched service = startService(Map.of())) {
            int port = service.awaitReady(60);
            try (Subscribers subscribers = new Subscribers(port, channels("idle", clients), 1)) {
                Thread.sleep(settleSeconds * 1000);
                Map<String, Long> threadsBefore = ProcessStats.threadMicros(service.pid());
                ProcessStats.Window window = window(service);
                Thread.sleep(seconds * 1000);
                double elapsed = window.seconds();
                long cpu = window.cpuMicros("service");
                List<Map.Entry<String, Long>> threads = new ArrayList<>();
                ProcessStats.threadMicros(service.pid()).forEach((thread, micros) -> {
                    long used = micros - threadsBefore.getOrDefault(thread, 0L);
                    if (used > 0) {
                        threads.add(Map.entry(thread, used));
                    }
                });
                threads.sort(Map.Entry.<String, Long>comparingByValue().reversed());
                List<String> busiest = threads.stream().limit(5)
                        .map(t -> t.getKey() + " " + t.getValue() / 1000 + " ms").toList();
                double fraction = cpu / (elapsed * 1e6);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("clients", clients);
                row.put("settle_seconds", settleSeconds);
                row.put("seconds", Math.round(elapsed * 10) / 10.0);
                row.put("service_cpu_ms", cpu / 1000);
                row.put("service_cpu_fraction", Math.round(fraction * 10_000) / 10_000.0);
                row.put("service_jit_fraction",
                        Math.round(window.compilerMicros("service") / (elapsed * 1e6) * 10_000) / 10_000.0);
                row.put("held", fraction <= 0.01);
                row.put("busiest_threads", busiest);
                row.put("frames", subscribers.frames.get());
                row.put("cpu_share", window.shares());
                row.put("load_average_after", loadAverage());
                System.out.println("   " + row);
                return row;
            }
        }
    }

    /**
     * Redis bytes per answer: one answer at a time of 100, 1,000 and 10,000 tokens (quick: 100 and
     * 1,000), batching off so every token is a frame; once its message is recorded as answered (and
     * the turn had 200 ms to end), the {@code MEMORY USAGE} (exact) of every key of its channel, found
     * with SCAN under the benchmark's prefix, by kind: log, text, seq, answered, other (the
     * conversation store's). The log keeps at most a set number of frames per channel, so past that
     * an answer's log stops growing while its text keeps on.
     */
    private Map<String, Object> memory() throws Exception {
        int[] lengths = quick ? new int[] {100, 1000} : new int[] {100, 1000, 10_000};
        String prefix = "bench:" + id + ":";
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Launched service = startService(Map.of()); RedisMemory redis = new RedisMemory()) {
            service.awaitReady(60);
            for (int tokens : lengths) {
                rows.add(memoryOfAnswer(redis, prefix, tokens));
            }
        }
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("answers", rows);
        return memory;
    }

    private Map<String, Object> memoryOfAnswer(RedisMemory redis, String prefix, int tokens) throws Exception {
        String channel = "memory-" + tokens;
        String messageId = "memory-" + tokens;
        long start = System.nanoTime();
        publish(channel, messageId, "!words=" + tokens, null);
        String answered = AnsweredMessages.key(KeySpace.standalone(prefix), channel, messageId);
        while (!redis.exists(answered)) {
            if (System.nanoTime() - start > 120_000_000_000L) {
                throw new IllegalStateException("the " + tokens + "-token answer did not complete in 120 s");
            }
            Thread.sleep(20);
        }
        double answerSeconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(200); // the turn's end (its lease released, unused seqs given back) follows at once
        Map<String, Long> usage = redis.usage(redis.keysOfChannel(prefix, channel));
        Map<String, Long> byKind = new LinkedHashMap<>();
        for (String kind : List.of("log", "text", "seq", "answered", "other")) {
            byKind.put(kind, 0L);
        }
        Map<String, Long> keys = new LinkedHashMap<>();
        usage.forEach((key, bytes) -> {
            String name = key.substring(prefix.length());
            keys.put(name, bytes);
            String kind = name.substring(0, Math.max(0, name.indexOf(':')));
            byKind.merge(byKind.containsKey(kind) ? kind : "other", bytes, Long::sum);
        });
        long logged = redis.streamLength(prefix + "log:" + channel);
        long total = usage.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tokens", tokens);
        row.put("answer_seconds", Math.round(answerSeconds * 100) / 100.0);
        row.put("frames_logged", logged);
        row.put("answer_chars", Math.max(0, redis.stringLength(prefix + "text:" + channel) - messageId.length() - 1));
        byKind.forEach((kind, bytes) -> row.put(kind + "_bytes", bytes));
        row.put("log_bytes_per_frame", logged == 0 ? 0 : byKind.get("log") / logged);
        row.put("total_bytes", total);
        row.put("bytes_per_token", total / tokens);
        row.put("keys", keys);
        System.out.println("   " + row);
        return row;
    }

    /** Short answers over 200 channels, each channel kept two messages deep, for a fixed time. */
    private Map<String, Object> throughput() throws Exception {
        int channelCount = 200;
        long seconds = quick ? 3 : 20;
        try (Launched service = startService(Map.of("WORKER_CONCURRENCY", "1000"))) {
            int port = service.awaitReady(60);
            warmUp(service, port);
            List<String> channels = channels("tp", channelCount);
            try (Subscribers subscribers = new Subscribers(port, channels)) {
                AtomicInteger next = new AtomicInteger();
                AtomicInteger completed = new AtomicInteger();
                long deadline = System.nanoTime() + seconds * 1_000_000_000L;
                subscribers.expect(Integer.MAX_VALUE);
                subscribers.onCompleted(() -> {
                    completed.incrementAndGet();
                    if (System.nanoTime() < deadline) {
                        int n = next.getAndIncrement();
                        publishQuietly(channels.get(n % channelCount), "tp-" + n, "short answer", subscribers);
                    }
                });
                ProcessStats.Window window = window(service);
                for (int i = 0; i < channelCount * 2; i++) {
                    int n = next.getAndIncrement();
                    publish(channels.get(n % channelCount), "tp-" + n, "short answer", subscribers);
                }
                Thread.sleep(seconds * 1000);
                int done = completed.get();
                double elapsed = window.seconds();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("channels", channelCount);
                row.put("seconds", Math.round(elapsed * 10) / 10.0);
                row.put("completed", done);
                row.put("completed_per_second", Math.round(done / elapsed));
                row.put("p50_publish_to_completed_ms", subscribers.endToEnd.percentileMillis(50));
                row.put("p99_publish_to_completed_ms", subscribers.endToEnd.percentileMillis(99));
                row.put("p50_publish_to_started_ms", subscribers.untilStarted.percentileMillis(50));
                row.put("p50_started_to_completed_ms", subscribers.answering.percentileMillis(50));
                row.put("errors", subscribers.errors.get());
                row.put("service_cpu_us_per_answer", done == 0 ? 0
                        : (window.cpuMicros("service") - window.compilerMicros("service")) / done);
                row.put("service_jit_share", Math.round(window.compilerMicros("service") / elapsed / 1e4) / 100.0);
                row.put("service_kernel_fraction", window.systemFraction("service"));
                row.put("cpu_share", window.shares());
                row.put("peak_rss_mib", ProcessStats.statusKb(service.pid(), "VmHWM") / 1024);
                subscribers.onCompleted(() -> { });
                Thread.sleep(500); // let the messages still in flight finish before the service stops
                System.out.println("   " + row);
                return row;
            }
        }
    }

    /**
     * Launch → ready (consuming, /ws served), median of 5 (1 in quick mode), on each runtime, interleaved
     * so that a change in the machine's load touches them all alike: the full JDK with the jar, then, from
     * the images bench/run.sh lays out with scripts/runtime-image.sh (each only where it exists), the full
     * JDK with an AOT cache, the jlinked runtime, and the jlinked runtime with an AOT cache. A cache runs
     * with -XX:AOTMode=on: one that does not load fails the run instead of timing a run without it.
     */
    private Map<String, Object> startup() throws Exception {
        int runs = quick ? 1 : 5;
        String options = serviceJavaOptions();
        Path images = Path.of(System.getenv().getOrDefault("BENCH_IMAGES", "target/bench-images"));
        List<StartupRuntime> runtimes = new ArrayList<>();
        runtimes.add(new StartupRuntime("full JDK", Path.of(System.getProperty("java.home")), null,
                javaCommand(java(), serviceJar()), Map.of()));
        for (String name : List.of("jdk", "jlink")) {
            Path image = images.resolve(name);
            String label = name.equals("jdk") ? "full JDK" : "jlinked";
            if (name.equals("jlink") && Files.isDirectory(image)) {
                runtimes.add(new StartupRuntime(label, image.resolve("runtime"), null, javaCommand(
                        image.resolve("runtime/bin/java").toString(), image.resolve("app/assistant-stream.jar").toString()),
                        Map.of()));
            }
            Path cache = image.resolve("app/assistant-stream.aot");
            if (Files.isRegularFile(cache)) {
                runtimes.add(new StartupRuntime(label + " + AOT cache", image.resolve("runtime"), cache,
                        List.of(image.resolve("bin/assistant-stream").toString()),
                        Map.of("JAVA_OPTS", options + " -XX:AOTMode=on")));
            }
        }
        Map<StartupRuntime, List<Long>> millis = new LinkedHashMap<>();
        Map<StartupRuntime, List<Long>> rss = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            for (StartupRuntime runtime : runtimes) {
                try (Launched service = startService(runtime.env(), runtime.command())) {
                    service.awaitReady(60);
                    millis.computeIfAbsent(runtime, r -> new ArrayList<>())
                            .add((System.nanoTime() - service.startedNanos()) / 1_000_000);
                    rss.computeIfAbsent(runtime, r -> new ArrayList<>())
                            .add(ProcessStats.statusKb(service.pid(), "VmRSS") / 1024);
                }
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (StartupRuntime runtime : runtimes) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("runtime", runtime.name());
            row.put("median_ms", median(millis.get(runtime)));
            row.put("runs_ms", millis.get(runtime));
            row.put("rss_at_ready_mib", median(rss.get(runtime)));
            row.put("runtime_mib", mib(runtime.home()));
            row.put("aot_cache_mib", runtime.cache() == null ? 0.0 : mib(runtime.cache()));
            System.out.println("   " + row);
            rows.add(row);
        }
        return Map.of("runtimes", rows);
    }

    /** One way of starting the service that the start-up scenario compares. */
    private record StartupRuntime(String name, Path home, Path cache, List<String> command, Map<String, String> env) {
    }

    private static long median(List<Long> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    /** The size of a file or of a directory tree (its links followed), in MiB with one decimal. */
    private static double mib(Path path) throws IOException {
        try (var files = Files.walk(path.toRealPath())) {
            long bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            return Math.round(bytes / 1024.0 / 1024.0 * 10) / 10.0;
        }
    }

    /** {@code JAVA [BENCH_SERVICE_JAVA_OPTS] -jar JAR}. */
    private static List<String> javaCommand(String java, String jar) {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(serviceJavaOptions().split("\\s+")));
        command.addAll(List.of("-jar", jar));
        return command;
    }

    private static String serviceJavaOptions() {
        return System.getenv().getOrDefault("BENCH_SERVICE_JAVA_OPTS", "-Xmx512m");
    }

    private Launched startService(Map<String, String> extra) throws IOException {
        return startService(extra, javaCommand(java(), serviceJar()));
    }

    private Launched startService(Map<String, String> extra, List<String> command) throws IOException {
        purgeLeftovers();
        Map<String, String> env = new HashMap<>();
        env.put("OPENAI_API_KEY", "sk-test-fake");
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + fakePort + "/v1");
        env.put("QUEUE_NAME", "bench_" + id + "_queue");
        env.put("EXCHANGE_NAME", "bench_" + id + "_exchange");
        env.put("ROUTING_KEY", "bench_" + id + "_key");
        env.put("REDIS_PREFIX", "bench:" + id + ":");
        env.putAll(serviceRedis.env());
        env.put("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/");
        env.put("SERVER_PORT", "0");
        env.put("STREAM_BATCH_CHARS", "0");
        env.put("STREAM_BATCH_MS", "0");
        // A subscriber socket carries 100 channels: room enough that the driver is never a slow client.
        // A build from before the queue was bounded in bytes reads WEBSOCKET_SEND_QUEUE (frames) instead.
        env.put(System.getenv().containsKey("BENCH_SERVICE_QUEUE_FRAMES") ? "WEBSOCKET_SEND_QUEUE"
                : "WEBSOCKET_SEND_QUEUE_BYTES", System.getenv().containsKey("BENCH_SERVICE_QUEUE_FRAMES") ? "100000"
                : "268435456");
        env.put("WEBSOCKET_MAX_SUBSCRIPTIONS", "100000");
        env.putAll(extra);
        return new Launched(command, env, Launched.SERVICE_READY);
    }

    /**
     * Empties the benchmark's queue before a service starts: messages a stopped service left unanswered
     * (a scenario that failed or timed out) would otherwise load the next scenario's service.
     */
    private void purgeLeftovers() throws IOException {
        try (Channel channel = amqp.createChannel()) {
            channel.queuePurge("bench_" + id + "_queue");
        } catch (IOException | TimeoutException notDeclaredYet) {
            // the first service declares the queue
        }
    }

    /** Publishes a message to the service's exchange; {@code subscribers} (if any) time its answer. */
    private void publish(String channel, String messageId, String message, Subscribers subscribers) throws IOException {
        if (subscribers != null) {
            subscribers.published(messageId);
        }
        byte[] body = ("{\"channel\":\"" + channel + "\",\"message_id\":\"" + messageId + "\",\"message\":\""
                + message + "\"}").getBytes(StandardCharsets.UTF_8);
        synchronized (publisher) {
            publisher.basicPublish("bench_" + id + "_exchange", "bench_" + id + "_key", null, body);
        }
    }

    private void publishQuietly(String channel, String messageId, String message, Subscribers subscribers) {
        try {
            publish(channel, messageId, message, subscribers);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> channels(String tag, int count) {
        List<String> channels = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            channels.add(tag + "-" + i);
        }
        return channels;
    }

    private ProcessStats.Window window(Launched service) {
        Map<String, List<Long>> pids = new LinkedHashMap<>();
        pids.put("service", List.of(service.pid()));
        pids.put("fake_openai", List.of(fake.pid()));
        pids.putAll(serviceRedis.processes());
        ProcessStats.find("beam.smp", "rabbit").ifPresent(pid -> pids.put("rabbitmq", List.of(pid)));
        pids.put("driver", List.of(ProcessHandle.current().pid()));
        return new ProcessStats.Window(pids);
    }

    private static Map<String, Object> conditions() throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("date", Instant.now().toString());
        c.put("cores", Runtime.getRuntime().availableProcessors());
        c.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse("unknown"));
        c.put("memory_gib", Math.round(Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .filter(l -> l.startsWith("MemTotal")).mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElse(0) / 1024.0 / 1024.0));
        c.put("load_average_at_start", Files.readString(Path.of("/proc/loadavg")).strip());
        c.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        c.put("service_java_options", serviceJavaOptions());
        c.put("service_jar", serviceJar());
        c.put("note", "everything on one machine over loopback: service, fake OpenAI, Redis, RabbitMQ and this driver "
                + "share the cores; compare figures only within one run");
        return c;
    }

    /** Deletes the benchmark's queues, exchanges and Redis keys, and stops the fake. */
    private void cleanUp() {
        try {
            if (publisher != null) {
                publisher.queueDelete("bench_" + id + "_queue");
                publisher.queueDelete("bench_" + id + "_queue_failed");
                publisher.exchangeDelete("bench_" + id + "_exchange");
                publisher.exchangeDelete("bench_" + id + "_exchange_dlx");
                amqp.close();
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not delete the benchmark's RabbitMQ objects: " + e);
        }
        RedisClient redis = RedisClient.create("redis://127.0.0.1:6379/0");
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            ScanIterator<String> keys = ScanIterator.scan(connection.sync(),
                    KeyScanArgs.Builder.matches("bench:" + id + ":*").limit(1000));
            while (keys.hasNext()) {
                connection.sync().unlink(keys.next());
            }
        } finally {
            redis.shutdown();
        }
        if (fake != null) {
            try {
                fake.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The service under test: this build, or another one named by BENCH_SERVICE_JAR (to compare builds). */
    private static String serviceJar() {
        return System.getenv().getOrDefault("BENCH_SERVICE_JAR", "target/assistant-stream.jar");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
