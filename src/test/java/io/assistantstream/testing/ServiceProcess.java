package io.assistantstream.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.assistantstream.Main;

/**
 * The service as a real child process ({@code Main} on the test classpath), configured by the
 * world's settings as environment variables, for what needs a real process: signals, a crash.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("assistant-stream ready on port (\\d+)");

    private final Process process;
    private final List<String> output = new ArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final Thread reader;

    private ServiceProcess(Process process) {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().name("service-output").start(this::read);
    }

    /** Starts the service with the world's settings and waits until it is ready. */
    public static ServiceProcess start(TestWorld world) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()).redirectErrorStream(true);
        builder.environment().putAll(world.environment());
        ServiceProcess service = new ServiceProcess(builder.start());
        try {
            service.port();
        } catch (Exception | Error e) {
            service.close(); // never left behind consuming the world's queue
            throw e;
        }
        return service;
    }

    private void read() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                synchronized (output) {
                    output.add(line);
                }
                Matcher ready = READY.matcher(line);
                if (ready.find()) {
                    port.complete(Integer.parseInt(ready.group(1)));
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        port.completeExceptionally(new IllegalStateException("the service exited before it was ready:\n" + output()));
    }

    /** The port it serves on, once ready. */
    public int port() throws Exception {
        try {
            return port.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the service was not ready within 60 s:\n" + output(), e);
        }
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
            throw new AssertionError("the service did not exit within " + timeout + ":\n" + output());
        }
        reader.join(Duration.ofSeconds(5));
        return process.exitValue();
    }

    /** Everything it printed so far. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }
}
