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
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;

/**
 * A Redis Cluster of the test's own: six {@code redis-server}s on spare ports in a temporary folder,
 * three masters with a replica each, made a cluster by {@code redis-cli --cluster create}, quick to
 * fail over (a master unanswered for a second is replaced). Every process is stopped by its handle
 * when closed, and then the folder is deleted; neither outlives the test.
 */
public final class RedisCluster implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(30);

    private final Path dir;
    private final int[] ports = new int[6];
    private final Process[] processes = new Process[6];
    private RedisClusterClient client;
    private StatefulRedisClusterConnection<String, String> connection;

    public RedisCluster() throws Exception {
        dir = Files.createTempDirectory("redis-cluster");
        try {
            for (int i = 0; i < ports.length; i++) {
                ports[i] = RedisProcess.sparePort();
                Path nodeDir = Files.createDirectories(dir.resolve("node-" + i));
                processes[i] = RedisProcess.start(List.of("redis-server", "--port", Integer.toString(ports[i]), "--bind", "127.0.0.1",
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "1000", "--save", "", "--appendonly", "no",
                        "--dir", nodeDir.toString()), ports[i], nodeDir.resolve("redis.log"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (int port : ports) {
                create.add("127.0.0.1:" + port);
            }
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process creating = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("create.log").toFile()).start();
            if (!creating.waitFor(60, TimeUnit.SECONDS) || creating.exitValue() != 0) {
                creating.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed: "
                        + Files.readString(dir.resolve("create.log")));
            }
            awaitState("cluster_state:ok");
            awaitReplicasInSync();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** The seed nodes the service is given: every node, comma-separated. */
    public String url() {
        StringBuilder url = new StringBuilder();
        for (int port : ports) {
            url.append(url.isEmpty() ? "" : ",").append("redis://127.0.0.1:").append(port);
        }
        return url.toString();
    }

    /**
     * The process ids of the nodes that are masters now ({@code masters}), or of those that are
     * replicas: the benchmark counts their CPU.
     */
    public List<Long> pids(boolean masters) {
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            if (alive(ports[i]) && isMaster(ports[i]) == masters) {
                pids.add(processes[i].pid());
            }
        }
        return pids;
    }

    /** The seed nodes as lettuce takes them, each connection naming itself {@code clientName} (CLIENT SETNAME). */
    public List<RedisURI> uris(String clientName) {
        return java.util.Arrays.stream(ports).mapToObj(port -> RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withClientName(clientName).build()).toList();
    }

    /** The ports of the live nodes where a connection named {@code clientName} is connected and {@code matches}. */
    public List<Integer> nodesWithClient(String clientName, java.util.function.Predicate<String> matches) {
        List<Integer> found = new ArrayList<>();
        for (int port : ports) {
            if (alive(port) && command(port, c -> c.sync().clientList()).lines()
                    .anyMatch(line -> line.contains(" name=" + clientName + " ") && matches.test(line))) {
                found.add(port);
            }
        }
        return found;
    }

    /** Whether the live node on {@code port} is a master now. */
    public boolean isMaster(int port) {
        return command(port, c -> c.sync().info("replication")).contains("role:master");
    }

    /** The port of the master the replica on {@code port} follows. */
    public int masterOfReplica(int port) {
        String info = command(port, c -> c.sync().info("replication"));
        return info.lines().filter(line -> line.startsWith("master_port:")).map(line -> Integer.parseInt(
                line.substring("master_port:".length()).strip())).findFirst().orElseThrow();
    }

    /** The ports of the live masters. */
    public List<Integer> masters() {
        List<Integer> masters = new ArrayList<>();
        for (int port : ports) {
            if (alive(port) && isMaster(port)) {
                masters.add(port);
            }
        }
        return masters;
    }

    /**
     * A connection of the test's own to the whole cluster (opened on first use, closed with the
     * cluster), to look at keys on whichever master holds them.
     */
    public RedisAdvancedClusterCommands<String, String> redis() {
        if (client == null) {
            client = RedisClusterClient.create(java.util.Arrays.stream(ports)
                    .mapToObj(port -> RedisURI.create("redis://127.0.0.1:" + port)).toList());
            connection = client.connect();
        }
        return connection.sync();
    }

    /**
     * Channels named {@code prefix-N}, {@code perMaster} on each master, as the service tags them
     * ({@code {channel}}), in the order they were found.
     */
    public List<String> channelsOnEveryMaster(String prefix, int perMaster) throws Exception {
        java.util.Map<Integer, Integer> found = new java.util.HashMap<>();
        List<String> channels = new ArrayList<>();
        for (int i = 0; channels.size() < 3 * perMaster; i++) {
            String channel = prefix + "-" + i;
            int master = masterOf("{" + channel + "}");
            if (found.merge(master, 1, Integer::sum) <= perMaster) {
                channels.add(channel);
            }
        }
        return channels;
    }

    /** The port of the master serving {@code key}'s slot now, as a surviving node says. */
    public int masterOf(String key) throws Exception {
        int slot = SlotHash.getSlot(key);
        for (int port : ports) {
            if (alive(port)) {
                for (Object range : command(port, c -> c.sync().clusterSlots())) {
                    List<?> entry = (List<?>) range;
                    if (slot >= (Long) entry.get(0) && slot <= (Long) entry.get(1)) {
                        return ((Long) ((List<?>) entry.get(2)).get(1)).intValue();
                    }
                }
                throw new IllegalStateException("no master serves " + key);
            }
        }
        throw new IllegalStateException("no node is alive");
    }

    /**
     * Waits until a node other than {@code dead} serves {@code key}'s slot (a replica was promoted);
     * false if none did within 30 s.
     */
    public boolean awaitMovedFrom(String key, int dead) throws Exception {
        return Readiness.poll(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
            try {
                return masterOf(key) != dead;
            } catch (IllegalStateException inFlux) { // a node that serves the slot to no one yet
                return false;
            }
        }, moved -> moved);
    }

    /** Kills the node on {@code port} at once (SIGKILL), as a crashed host. */
    public void kill(int port) throws InterruptedException {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                processes[i].destroyForcibly().waitFor();
                return;
            }
        }
        throw new IllegalArgumentException("no node on " + port);
    }

    /** Stops the node on {@code port} without killing it (SIGSTOP): it holds its connections and answers nothing. */
    public void pause(int port) throws Exception {
        signal(port, "-STOP");
    }

    /** Lets a paused node go on (SIGCONT). */
    public void resume(int port) throws Exception {
        signal(port, "-CONT");
    }

    private void signal(int port, String signal) throws Exception {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                Process kill = new ProcessBuilder("kill", signal, Long.toString(processes[i].pid())).start();
                if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                    throw new IllegalStateException("kill " + signal + " " + processes[i].pid() + " failed");
                }
                return;
            }
        }
        throw new IllegalArgumentException("no node on " + port);
    }

    /**
     * Sets how long a node may stay unanswered before the others fail it over, on every live node
     * (a test that pauses a master raises it, so that no failover happens meanwhile).
     */
    public void nodeTimeout(Duration timeout) {
        for (int port : ports) {
            if (alive(port)) {
                command(port, c -> c.sync().configSet("cluster-node-timeout", Long.toString(timeout.toMillis())));
            }
        }
    }

    private void awaitState(String state) throws Exception {
        for (int port : ports) {
            if (!alive(port)) {
                continue;
            }
            boolean ok = Readiness.poll(READY, Duration.ofMillis(100),
                    () -> command(port, c -> c.sync().clusterInfo()).contains(state), done -> done);
            if (!ok) {
                throw new IllegalStateException("node " + port + " did not reach " + state + " within " + READY);
            }
        }
    }

    /** Until every replica's link to its master is up: a failover then has a replica with the data. */
    private void awaitReplicasInSync() throws Exception {
        for (int port : ports) {
            boolean ok = Readiness.poll(READY, Duration.ofMillis(100), () -> {
                String info = command(port, c -> c.sync().info("replication"));
                return info.contains("role:master") || info.contains("master_link_status:up");
            }, done -> done);
            if (!ok) {
                throw new IllegalStateException("replica " + port + " did not sync within " + READY);
            }
        }
    }

    private boolean alive(int port) {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                return processes[i] != null && processes[i].isAlive();
            }
        }
        return false;
    }

    private interface Command<T> {
        T run(StatefulRedisConnection<String, String> connection);
    }

    private static <T> T command(int port, Command<T> command) {
        RedisClient client = RedisClient.create(RedisURI.create("redis://127.0.0.1:" + port));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return command.run(connection);
        } finally {
            client.shutdown();
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        if (client != null) {
            connection.close();
            client.shutdown();
        }
        for (Process process : processes) {
            if (process != null) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        RedisProcess.deleteFolder(dir);
    }
}
