package io.assistantstream.observe;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.service.registry.Services;

/**
 * The service's meters, in Helidon's registry, served at {@code /observe/metrics} as Prometheus
 * text. Names follow Prometheus conventions once Helidon writes them: dots become underscores,
 * counters end in {@code _total}, timers are histograms in {@code _seconds} (buckets only, no
 * quantiles). Every name starts with {@code assistant_stream_}.
 *
 * <p>One registry per process, as Helidon has it: the meters are static, and instances in one JVM
 * (tests) add to the same ones.
 */
public final class Meters {
    private static final String P = "assistant.stream.";
    private static final MeterRegistry REGISTRY = Services.get(MeterRegistry.class);
    private static final Duration[] LATENCY = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};

    public static final Counter DELIVERIES_RECEIVED = counter("deliveries.received", "Deliveries taken from RabbitMQ");
    public static final Counter DELIVERIES_COMPLETED = counter("deliveries.completed",
            "Deliveries answered to the end (completed frame sent, acknowledged)");
    public static final Counter DELIVERIES_REPEATED = counter("deliveries.repeated",
            "Redeliveries of messages answered already: acknowledged with their final frame sent again, not answered");
    public static final Counter DELIVERIES_DEAD_LETTERED = counter("deliveries.dead.lettered",
            "Deliveries moved to the dead-letter queue");
    public static final Counter FRAMES_SENT = counter("frames.sent", "Frames handed to the fan-out (Redis or relay)");
    public static final Counter WEBSOCKET_SLOW_CLIENT_DROPS = counter("websocket.slow.client.drops",
            "WebSocket clients closed (1013) because they fell too far behind");
    public static final Counter WEBSOCKET_PING_TIMEOUTS = counter("websocket.ping.timeouts",
            "WebSocket clients closed (1001) because they answered no ping for two intervals");
    public static final Counter OPENAI_RETRIES = counter("openai.retries", "OpenAI requests sent again");
    public static final Counter REDIS_RECONNECTS = counter("redis.reconnects", "Redis connections re-established");
    public static final Counter RABBITMQ_RECONNECTS = counter("rabbitmq.reconnects",
            "RabbitMQ connections recovered");

    public static final Timer QUEUE_WAIT = timer("queue.wait",
            "From a delivery's arrival to its channel lease: the wait behind earlier answers of the channel");
    public static final Timer FIRST_TOKEN = timer("first.token",
            "From a delivery's arrival to the first text of its answer");
    public static final Timer ANSWER_DURATION = timer("answer.duration",
            "From a delivery's arrival to its terminal frame");

    public static final AtomicInteger ANSWERS_IN_FLIGHT = gauge("answers.in.flight", "Answers being given now");
    public static final AtomicInteger WEBSOCKET_SESSIONS = gauge("websocket.sessions", "Open WebSocket sessions");
    public static final AtomicInteger WEBSOCKET_SUBSCRIPTIONS = gauge("websocket.subscriptions",
            "Channel subscriptions of open WebSocket sessions");

    private Meters() {
    }

    /**
     * Registers every meter now (the class's loading does), with the labelled ones known in advance,
     * so {@code /observe/metrics} lists them at zero from the start instead of as they first happen.
     */
    public static void register() {
        for (String reason : new String[] {"invalid_input", "answer_failed", "internal_error", "requeued"}) {
            deliveriesFailed(reason);
        }
    }

    /** Deliveries that did not complete, by {@code reason}: invalid_input, answer_failed, internal_error, requeued. */
    public static Counter deliveriesFailed(String reason) {
        return REGISTRY.getOrCreate(Counter.builder(P + "deliveries.failed").description("Deliveries not completed, "
                + "by reason").addTag(Tag.create("reason", reason)));
    }

    /** OpenAI answers by HTTP status ({@code 200}, {@code 429}, …) or {@code error} when none came. */
    public static Counter openAiRequests(String status) {
        return REGISTRY.getOrCreate(Counter.builder(P + "openai.requests").description("OpenAI requests, by answer")
                .addTag(Tag.create("status", status)));
    }

    /** Tool calls by tool and {@code outcome}: ok, error, timeout. */
    public static Counter toolCalls(String tool, String outcome) {
        return REGISTRY.getOrCreate(Counter.builder(P + "tool.calls").description("Tool calls, by tool and outcome")
                .addTag(Tag.create("tool", tool)).addTag(Tag.create("outcome", outcome)));
    }

    private static Counter counter(String name, String description) {
        return REGISTRY.getOrCreate(Counter.builder(P + name).description(description));
    }

    private static Timer timer(String name, String description) {
        return REGISTRY.getOrCreate(Timer.builder(P + name).description(description).buckets(LATENCY)
                .percentiles(new double[0]));
    }

    private static AtomicInteger gauge(String name, String description) {
        AtomicInteger value = new AtomicInteger();
        Supplier<Integer> read = value::get;
        REGISTRY.getOrCreate(Gauge.builder(P + name, read).description(description));
        return value;
    }
}
