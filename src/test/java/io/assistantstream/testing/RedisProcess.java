package io.assistantstream.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starting the tests' own {@code redis-server} processes: a spare port, and a process that answers on
 * it; and removing the folder they wrote in, once they are stopped.
 */
final class RedisProcess {
    private RedisProcess() {
    }

    /** A port nothing listens on now. */
    static int sparePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /**
     * Starts {@code command} (its output to {@code log}, or discarded when null) and waits until it
     * accepts connections on {@code port}; fails, the process killed, after 10 s.
     */
    static Process start(List<String> command, int port, Path log) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(log.toFile()))
                .start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return process;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException(command.getFirst() + " did not start on port " + port);
    }

    /** Deletes {@code dir} and all it holds (logs, configs, cluster state); nothing when it is gone already. */
    static void deleteFolder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) { // each folder after its files
                Files.deleteIfExists(path);
            }
        }
    }
}
