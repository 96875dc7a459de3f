package io.assistantstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;

/**
 * A Sentinel set of the test's own, on spare ports in a temporary folder: a master, its replica and
 * three Sentinels watching them as {@value #MASTER}, quick to fail over (a master unanswered for a
 * second is down). Every process is stopped by its handle when closed, and then the folder is
 * deleted; neither outlives the test.
 */
public final class RedisSentinels implements AutoCloseable {
    public static final String MASTER = "mymaster";
    private static final Duration READY = Duration.ofSeconds(30);

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final int[] dataPorts = new int[2];
    private final int[] sentinelPorts = new int[3];
    private Process master;

    public RedisSentinels() throws Exception {
        dir = Files.createTempDirectory("redis-sentinels");
        try {
            for (int i = 0; i < dataPorts.length; i++) {
                dataPorts[i] = RedisProcess.sparePort();
            }
            master = start(List.of("redis-server", "--port", Integer.toString(dataPorts[0]), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString()), dataPorts[0]);
            start(List.of("redis-server", "--port", Integer.toString(dataPorts[1]), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir.toString(), "--replicaof", "127.0.0.1",
                    Integer.toString(dataPorts[0])), dataPorts[1]);
            for (int i = 0; i < sentinelPorts.length; i++) {
                sentinelPorts[i] = RedisProcess.sparePort();
                Path config = dir.resolve("sentinel-" + i + ".conf");
                Files.writeString(config, String.join("\n",
                        "port " + sentinelPorts[i],
                        "bind 127.0.0.1",
                        "dir " + dir,
                        "sentinel monitor " + MASTER + " 127.0.0.1 " + dataPorts[0] + " 2",
                        "sentinel down-after-milliseconds " + MASTER + " 1000",
                        "sentinel failover-timeout " + MASTER + " 10000",
                        "sentinel parallel-syncs " + MASTER + " 1", ""));
                start(List.of("redis-server", config.toString(), "--sentinel"), sentinelPorts[i]);
            }
            awaitWatching();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** The URL the service is given: every Sentinel, and the master's name. */
    public String url() {
        StringBuilder hosts = new StringBuilder();
        for (int port : sentinelPorts) {
            hosts.append(hosts.isEmpty() ? "" : ",").append("127.0.0.1:").append(port);
        }
        return "redis-sentinel://" + hosts + "/0#" + MASTER;
    }

    /** The port of the server the Sentinels call the master now. */
    public int masterPort() throws Exception {
        RedisClient client = RedisClient.create();
        try (StatefulRedisSentinelConnection<String, String> sentinel = client.connectSentinel(
                RedisURI.create("redis://127.0.0.1:" + sentinelPorts[0]))) {
            return ((java.net.InetSocketAddress) sentinel.sync().getMasterAddrByName(MASTER)).getPort();
        } finally {
            client.shutdown();
        }
    }

    /** Kills the first master at once (SIGKILL), as a crashed host. */
    public void killMaster() throws InterruptedException {
        master.destroyForcibly().waitFor();
    }

    /** Waits until the Sentinels promoted the replica (after {@link #killMaster}). */
    public void awaitFailover() throws Exception {
        Integer promoted = Readiness.poll(READY, Duration.ofMillis(100), this::masterPort, port -> port == dataPorts[1]);
        if (promoted != dataPorts[1]) {
            throw new IllegalStateException("the Sentinels did not promote the replica within " + READY);
        }
    }

    /** Until every Sentinel knows the replica and the other two: a failover can then be agreed. */
    private void awaitWatching() throws Exception {
        RedisClient client = RedisClient.create();
        try {
            for (int port : sentinelPorts) {
                try (StatefulRedisSentinelConnection<String, String> sentinel = client.connectSentinel(
                        RedisURI.create("redis://127.0.0.1:" + port))) {
                    boolean ready = Readiness.poll(READY, Duration.ofMillis(100), () -> {
                        var replicas = sentinel.sync().replicas(MASTER);
                        return Integer.toString(sentinelPorts.length - 1)
                                .equals(sentinel.sync().master(MASTER).get("num-other-sentinels"))
                                && replicas.size() == 1 && !replicas.getFirst().get("flags").contains("down")
                                && "ok".equals(replicas.getFirst().get("master-link-status"));
                    }, watching -> watching);
                    if (!ready) {
                        throw new IllegalStateException("Sentinel " + port + " did not see the whole set within " + READY);
                    }
                }
            }
        } finally {
            client.shutdown();
        }
    }

    private Process start(List<String> command, int port) throws IOException, InterruptedException {
        Process process = RedisProcess.start(command, port, dir.resolve("redis-" + port + ".log"));
        processes.add(process);
        return process;
    }

    @Override
    public void close() throws InterruptedException, IOException {
        for (Process process : processes) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        RedisProcess.deleteFolder(dir);
    }
}
