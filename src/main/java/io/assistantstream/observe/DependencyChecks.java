package io.assistantstream.observe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.helidon.health.HealthCheckResponse;

import io.assistantstream.redis.RedisConnection;

/**
 * What {@code /observe/health} reports, one check per dependency, each with its state and round
 * trip. Redis and RabbitMQ (with the consumer) decide readiness; OpenAI is reported but always UP,
 * because an instance cannot fix OpenAI by restarting or by leaving the load balancer, and its
 * answers already end in clear errors while OpenAI is away.
 */
public final class DependencyChecks {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** OpenAI is probed at most this often, however often the health endpoint is called. */
    private static final Duration OPENAI_PROBE_INTERVAL = Duration.ofSeconds(10);

    private DependencyChecks() {
    }

    /** A round trip to RabbitMQ that returns the messages ready in the queue. */
    @FunctionalInterface
    public interface QueueProbe {
        long messagesReady() throws IOException;
    }

    /** Redis answers {@code PING}. */
    public static Supplier<HealthCheckResponse> redis(RedisConnection<String, String> redis) {
        return () -> {
            long start = System.nanoTime();
            try {
                redis.async().ping().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return up(start).build();
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                return down(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return down(e);
            }
        };
    }

    /** The RabbitMQ connection is open, the consumer consuming, and the queue answers. */
    public static Supplier<HealthCheckResponse> rabbit(BooleanSupplier consuming, QueueProbe queue) {
        return () -> {
            long start = System.nanoTime();
            try {
                long ready = queue.messagesReady();
                boolean active = consuming.getAsBoolean();
                return up(start).status(active).detail("consuming", active).detail("messages_ready", ready).build();
            } catch (IOException | RuntimeException e) {
                return down(e);
            }
        };
    }

    /** Whether a TCP connection to OpenAI's host opens; reported, never DOWN. */
    public static Supplier<HealthCheckResponse> openAi(URI baseUrl) {
        String host = baseUrl.getHost();
        int port = baseUrl.getPort() > 0 ? baseUrl.getPort() : "https".equals(baseUrl.getScheme()) ? 443 : 80;
        return new Supplier<>() {
            private volatile HealthCheckResponse last;
            private volatile long probedAt;

            @Override
            public HealthCheckResponse get() {
                if (last == null || System.nanoTime() - probedAt > OPENAI_PROBE_INTERVAL.toNanos()) {
                    probedAt = System.nanoTime();
                    last = probe();
                }
                return last;
            }

            private HealthCheckResponse probe() {
                long start = System.nanoTime();
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
                    return up(start).detail("reachable", true).detail("affects_readiness", false).build();
                } catch (IOException e) {
                    return HealthCheckResponse.builder().status(true).detail("reachable", false)
                            .detail("error", String.valueOf(e.getMessage())).detail("affects_readiness", false)
                            .build();
                }
            }
        };
    }

    private static HealthCheckResponse.Builder up(long startNanos) {
        return HealthCheckResponse.builder().status(true)
                .detail("round_trip_ms", (System.nanoTime() - startNanos) / 1_000_000.0);
    }

    private static HealthCheckResponse down(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return HealthCheckResponse.builder().status(false)
                .detail("error", cause.getClass().getSimpleName() + ": " + cause.getMessage()).build();
    }
}
