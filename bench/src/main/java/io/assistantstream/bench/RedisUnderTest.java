package io.assistantstream.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;

import io.assistantstream.config.RedisMode;
import io.assistantstream.redis.RedisDeployment;
import io.assistantstream.testing.RedisCluster;

/**
 * The Redis the services under test run on: the shared one on 127.0.0.1:6379, or a Redis Cluster
 * of the driver's own. It says how a service is told it ({@code REDIS_URL}, {@code REDIS_MODE}),
 * which processes are it (their CPU reported under each name: on a cluster the masters as
 * {@code redis}, the replicas as {@code redis_replicas}), and opens it as the service does, for the
 * driver's own look at the frames ({@link RedisTap}).
 *
 * @param name      what reports call it
 * @param url       {@code REDIS_URL}: one server, or the cluster's seed nodes comma-separated
 * @param mode      {@code REDIS_MODE}
 * @param processes process ids by the name their CPU share is reported under
 */
record RedisUnderTest(String name, String url, RedisMode mode, Map<String, List<Long>> processes) {
    private static final Pattern SCRIPT_CALLS = Pattern.compile("(?m)^cmdstat_eval(?:sha)?:calls=(\\d+)");

    /** The Redis on 127.0.0.1:6379 (database 0), which the benchmark shares with whatever else uses it. */
    static RedisUnderTest standalone() {
        Map<String, List<Long>> processes = new LinkedHashMap<>();
        ProcessStats.find("redis-server", ":6379").ifPresent(pid -> processes.put("redis", List.of(pid)));
        return new RedisUnderTest("standalone", "redis://127.0.0.1:6379/0", RedisMode.STANDALONE, processes);
    }

    /** {@code cluster}, with its masters and replicas as they are now. */
    static RedisUnderTest cluster(RedisCluster cluster) {
        Map<String, List<Long>> processes = new LinkedHashMap<>();
        processes.put("redis", cluster.pids(true));
        processes.put("redis_replicas", cluster.pids(false));
        return new RedisUnderTest("cluster", cluster.url(), RedisMode.CLUSTER, processes);
    }

    /** The service's settings for it. */
    Map<String, String> env() {
        return Map.of("REDIS_URL", url, "REDIS_MODE", mode.wire());
    }

    /**
     * The Lua script calls ({@code EVAL}, {@code EVALSHA}) its masters (or its one server) ran so far,
     * from {@code INFO commandstats}; on the standalone Redis its other users' calls count too.
     */
    long scriptCalls() {
        long calls = 0;
        for (String node : url.split(",")) {
            RedisClient client = RedisClient.create(node.strip());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                if (connection.sync().info("replication").contains("role:master")) {
                    Matcher call = SCRIPT_CALLS.matcher(connection.sync().info("commandstats"));
                    while (call.find()) {
                        calls += Long.parseLong(call.group(1));
                    }
                }
            } finally {
                client.shutdown();
            }
        }
        return calls;
    }

    /** Opens it as the service does, keys named under {@code prefix}. */
    RedisDeployment open(String prefix) {
        List<RedisURI> uris = Arrays.stream(url.split(",")).map(String::strip).map(RedisURI::create).toList();
        return RedisDeployment.open(null, uris, mode == RedisMode.CLUSTER, prefix, Duration.ofSeconds(10));
    }
}
