package io.assistantstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own on a spare port, for outage tests that must never touch the
 * machine's shared Redis. Can be stopped and started again on the same port.
 */
public final class PrivateRedis implements AutoCloseable {
    private final int port;
    /** Where an append-only file keeps the data across restarts; null: a restart loses everything. */
    private final Path dataDir;
    private Process process;

    public PrivateRedis() throws IOException, InterruptedException {
        this(null);
    }

    private PrivateRedis(Path dataDir) throws IOException, InterruptedException {
        this.port = RedisProcess.sparePort();
        this.dataDir = dataDir;
        start();
    }

    /** A server that keeps its data across a restart (append-only file, fsync on every write), as production Redis does. */
    public static PrivateRedis persistent() throws IOException, InterruptedException {
        return new PrivateRedis(Files.createTempDirectory("private-redis"));
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    public void start() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", ""));
        command.addAll(dataDir == null ? List.of("--appendonly", "no")
                : List.of("--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir.toString()));
        process = RedisProcess.start(command, port, null);
    }

    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        if (dataDir != null) {
            try {
                RedisProcess.deleteFolder(dataDir);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
