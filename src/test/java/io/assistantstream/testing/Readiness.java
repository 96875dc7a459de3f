package io.assistantstream.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Waiting for a service's readiness: {@code /observe/health/ready} polled until it answers as expected. */
public final class Readiness {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private Readiness() {
    }

    /** Polls readiness on {@code port} until it answers {@code status}, for up to the test timeout; that answer. */
    public static HttpResponse<String> await(int port, int status) throws Exception {
        return await(port, status, TestWorld.timeout());
    }

    /**
     * Polls readiness on {@code port} until it answers {@code status}; returns that answer. Fails with the
     * last answer when none matched within {@code timeout}.
     */
    public static HttpResponse<String> await(int port, int status, Duration timeout) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health/ready"))
                .timeout(REQUEST_TIMEOUT).build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> ready = poll(timeout, Duration.ofMillis(100),
                    () -> http.send(request, HttpResponse.BodyHandlers.ofString()),
                    answer -> answer.statusCode() == status);
            if (ready.statusCode() != status) {
                throw new AssertionError("readiness stayed " + ready.statusCode() + " for " + timeout.toMillis()
                        + " ms, not " + status + ": " + ready.body());
            }
            return ready;
        }
    }

    /**
     * Runs {@code probe} every {@code every} until its result is {@code done}, or {@code timeout} has
     * passed; returns its last result (the caller checks it).
     */
    public static <T> T poll(Duration timeout, Duration every, Callable<T> probe, Predicate<T> done)
            throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        T result;
        while (!done.test(result = probe.call()) && System.nanoTime() < until) {
            Thread.sleep(every);
        }
        return result;
    }
}
