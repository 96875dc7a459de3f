package io.assistantstream.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.assistantstream.Main;

/**
 * A JVM started as a process of its own (the service or the fake), found ready by a line it prints; used
 * by the benchmark, by RuntimeImageTest, and by the tests that need a real process (signals, a crash).
 */
public final class Launched implements AutoCloseable {
    /** The line the service prints once it consumes and serves {@code /ws}; its group is the port. */
    public static final Pattern SERVICE_READY = Pattern.compile("assistant-stream ready on port (\\d+)");
    /** A line logged at WARNING or SEVERE, as the service's log format writes it (time, level, logger). */
    private static final Pattern PROBLEM = Pattern.compile("^\\S+ (WARNING|SEVERE) ");
    private static final int PROBLEMS_KEPT = 20;

    private final Process process;
    private final Deque<String> tail = new ArrayDeque<>();
    /** The first lines logged at WARNING or SEVERE, and how many there were. Guarded by {@link #tail}. */
    private final List<String> problems = new ArrayList<>();
    private long problemCount;
    private final CompletableFuture<Integer> ready = new CompletableFuture<>();
    private final long startedNanos = System.nanoTime();
    private final Thread reader;

    /**
     * @param readyLine a pattern whose first group is the port the process listens on
     */
    public Launched(List<String> command, Map<String, String> env, Pattern readyLine) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        process = builder.start();
        reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 40) {
                            tail.removeFirst();
                        }
                        if (PROBLEM.matcher(line).find() && problemCount++ < PROBLEMS_KEPT) {
                            problems.add(line);
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

    /** The service ({@code Main} on the test classpath) with the world's settings, once ready. */
    public static Launched service(TestWorld world) throws Exception {
        Launched service = new Launched(List.of(System.getProperty("java.home") + "/bin/java", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()), world.environment(), SERVICE_READY);
        try {
            service.awaitReady(60);
        } catch (Exception | Error e) {
            service.close(); // never left behind consuming the world's queue
            throw e;
        }
        return service;
    }

    /** Waits until ready; returns the port. */
    public int awaitReady(long seconds) throws Exception {
        try {
            return ready.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("not ready within " + seconds + " s:\n" + tail(), e);
        }
    }

    /** The port it listens on; call once it is ready (as {@link #service} returns it). */
    public int port() {
        return ready.join();
    }

    public long pid() {
        return process.pid();
    }

    /** When it was launched ({@link System#nanoTime()}). */
    public long startedNanos() {
        return startedNanos;
    }

    /**
     * Sends SIGTERM, as an orchestrator stopping it would. Through its handle: {@link Process#destroy()}
     * would also close the pipes, and what it prints while stopping would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Sends SIGKILL: a crash. */
    public void kill() {
        process.toHandle().destroyForcibly();
    }

    /** Waits for the process to end (and its output to be read) and returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the process did not exit within " + timeout + ":\n" + tail());
        }
        reader.join(Duration.ofSeconds(5));
        return process.exitValue();
    }

    /** The last 40 lines it printed. */
    public String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /** How many lines it logged at WARNING or SEVERE so far. */
    public long problemCount() {
        synchronized (tail) {
            return problemCount;
        }
    }

    /** The first lines it logged at WARNING or SEVERE (up to 20). */
    public List<String> firstProblems() {
        synchronized (tail) {
            return List.copyOf(problems);
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
