package io.assistantstream.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM started as a process of its own (the service or the fake), found ready by a line it prints; used
 * by the benchmark and by RuntimeImageTest.
 */
public final class Launched implements AutoCloseable {
    /** The line the service prints once it consumes and serves {@code /ws}; its group is the port. */
    public static final Pattern SERVICE_READY = Pattern.compile("assistant-stream ready on port (\\d+)");

    private final Process process;
    private final Deque<String> tail = new ArrayDeque<>();
    private final CompletableFuture<Integer> ready = new CompletableFuture<>();
    final long startedNanos = System.nanoTime();

    /**
     * @param readyLine a pattern whose first group is the port the process listens on
     */
    public Launched(List<String> command, Map<String, String> env, Pattern readyLine) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        process = builder.start();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 40) {
                            tail.removeFirst();
                        }
                    }
                    Matcher m = readyLine.matcher(line);
                    if (m.find()) {
                        ready.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            ready.completeExceptionally(new IllegalStateException("exited before it was ready:\n" + tail()));
        });
    }

    /** Waits until ready; returns the port. */
    public int awaitReady(long seconds) throws Exception {
        try {
            return ready.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("not ready within " + seconds + " s:\n" + tail(), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
