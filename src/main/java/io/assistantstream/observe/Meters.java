package io.assistantstream.observe;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * The service's meters, built once at start in a meter registry and handed to what records them.
 * In the service the registry is Helidon's, served at {@code /observe/metrics} as Prometheus text;
 * names follow Prometheus conventions once Helidon writes them: dots become underscores, counters
 * end in {@code _total}, timers are histograms in {@code _seconds} (buckets only, no quantiles).
 * Every name starts with {@code assistant_stream_}. A test can give a registry of its own.
 *
 * <p>Every meter is registered here, the labelled ones with their known labels, so
 * {@code /observe/metrics} lists them at zero from the start. Counters and timers of one name are
 * shared by every instance on one registry (as several service instances in one JVM would have it);
 * a gauge reads the values of the instance that registered it last.
 */
public final class Meters {
    private static final String P = "assistant.stream.";
    private static final Duration[] LATENCY = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};

    private final MeterRegistry registry;
    private final boolean registerGauges;
    private final Counter deliveriesReceived;
    private final Counter deliveriesCompleted;
    private final Counter deliveriesRepeated;
    private final Counter deliveriesDeadLettered;
    private final Counter repliesPublished;
    private final Counter repliesFailed;
    private final Counter framesSent;
    private final Counter websocketSlowClientDrops;
    private final Counter websocketFramesCoalesced;
    private final Counter websocketPingTimeouts;
    private final Counter websocketMessagesRefused;
    private final Counter websocketConnectionsRefused;
    private final Counter openAiRetries;
    private final Counter redisReconnects;
    private final Counter rabbitmqReconnects;
    private final Timer queueWait;
    private final Timer firstToken;
    private final Timer answerDuration;
    private final AtomicInteger answersInFlight;
    private final AtomicInteger websocketSessions;
    private final AtomicInteger websocketSubscriptions;

    public Meters(MeterRegistry registry) {
        this(registry, true);
    }

    /**
     * Meters for a command that runs beside a service in one JVM (the command line): its gauges are
     * its own and replace none of the service's.
     */
    public static Meters ofCommand(MeterRegistry registry) {
        return new Meters(registry, false);
    }

    private Meters(MeterRegistry registry, boolean registerGauges) {
        this.registry = registry;
        this.registerGauges = registerGauges;
        deliveriesReceived = counter("deliveries.received", "Deliveries taken from RabbitMQ");
        deliveriesCompleted = counter("deliveries.completed",
                "Deliveries answered to the end (completed frame sent, acknowledged)");
        deliveriesRepeated = counter("deliveries.repeated", "Redeliveries of messages answered already: "
                + "acknowledged with their final frame sent again, not answered");
        deliveriesDeadLettered = counter("deliveries.dead.lettered", "Deliveries moved to the dead-letter queue");
        repliesPublished = counter("replies.published", "Replies (a delivery's terminal frame) published to its "
                + "reply_to queue and confirmed by the broker");
        repliesFailed = counter("replies.failed", "Replies that could not be published (refused, not confirmed in "
                + "time, connection down): their deliveries went back to the queue");
        framesSent = counter("frames.sent", "Frames logged in Redis (and published to other instances, or handed to the relay)");
        websocketSlowClientDrops = counter("websocket.slow.client.drops",
                "WebSocket clients closed (1013) because they fell too far behind");
        websocketFramesCoalesced = counter("websocket.frames.coalesced", "in_progress frames merged away in the "
                + "send queue of a WebSocket client that fell behind (n merged into one count n - 1)");
        websocketPingTimeouts = counter("websocket.ping.timeouts",
                "WebSocket clients closed (1001) because they answered no ping for two intervals");
        websocketMessagesRefused = counter("websocket.messages.refused",
                "client messages ignored: past the connection's rate (WEBSOCKET_MAX_MESSAGES_PER_SECOND)");
        websocketConnectionsRefused = counter("websocket.connections.refused",
                "connections closed as they opened: past WEBSOCKET_MAX_CONNECTIONS");
        openAiRetries = counter("openai.retries", "OpenAI requests sent again");
        redisReconnects = counter("redis.reconnects", "Redis connections re-established");
        rabbitmqReconnects = counter("rabbitmq.reconnects", "RabbitMQ connections recovered");
        queueWait = timer("queue.wait",
                "From a delivery's arrival to its channel lease: the wait behind earlier answers of the channel");
        firstToken = timer("first.token", "From a delivery's arrival to the first text of its answer");
        answerDuration = timer("answer.duration", "From a delivery's arrival to its terminal frame");
        answersInFlight = gauge("answers.in.flight", "Answers being given now");
        websocketSessions = gauge("websocket.sessions", "Open WebSocket sessions");
        websocketSubscriptions = gauge("websocket.subscriptions", "Channel subscriptions of open WebSocket sessions");
        for (String reason : new String[] {"invalid_input", "answer_failed", "internal_error", "requeued"}) {
            deliveriesFailed(reason);
        }
    }

    public Counter deliveriesReceived() {
        return deliveriesReceived;
    }

    public Counter deliveriesCompleted() {
        return deliveriesCompleted;
    }

    public Counter deliveriesRepeated() {
        return deliveriesRepeated;
    }

    public Counter deliveriesDeadLettered() {
        return deliveriesDeadLettered;
    }

    /** Replies to a delivery's {@code reply_to} that the broker confirmed (a reply it dropped as unroutable too). */
    public Counter repliesPublished() {
        return repliesPublished;
    }

    /** Replies that could not be published: each sent its delivery back to the queue. */
    public Counter repliesFailed() {
        return repliesFailed;
    }

    public Counter framesSent() {
        return framesSent;
    }

    public Counter websocketSlowClientDrops() {
        return websocketSlowClientDrops;
    }

    /** Frames merged away: a run of n {@code in_progress} frames merged into one counts n - 1. */
    public Counter websocketFramesCoalesced() {
        return websocketFramesCoalesced;
    }

    public Counter websocketPingTimeouts() {
        return websocketPingTimeouts;
    }

    public Counter websocketMessagesRefused() {
        return websocketMessagesRefused;
    }

    public Counter websocketConnectionsRefused() {
        return websocketConnectionsRefused;
    }

    public Counter openAiRetries() {
        return openAiRetries;
    }

    public Counter redisReconnects() {
        return redisReconnects;
    }

    public Counter rabbitmqReconnects() {
        return rabbitmqReconnects;
    }

    public Timer queueWait() {
        return queueWait;
    }

    public Timer firstToken() {
        return firstToken;
    }

    public Timer answerDuration() {
        return answerDuration;
    }

    public AtomicInteger answersInFlight() {
        return answersInFlight;
    }

    public AtomicInteger websocketSessions() {
        return websocketSessions;
    }

    public AtomicInteger websocketSubscriptions() {
        return websocketSubscriptions;
    }

    /** Deliveries that ended {@code cancelled} (acknowledged). */
    public Counter deliveriesCancelled() {
        return registry.getOrCreate(Counter.builder(P + "deliveries.cancelled").description("Deliveries whose answer"
                + " was cancelled, while it ran or waited in line"));
    }

    /** Messages that arrived while their channel was busy and were rejected or interrupted it, by {@code policy}. */
    public Counter multitask(String policy) {
        return registry.getOrCreate(Counter.builder(P + "multitask").description("Messages that arrived while their"
                + " channel had another in flight, by the policy applied (reject, interrupt)")
                .addTag(Tag.create("policy", policy)));
    }

    /** Cancel requests, by {@code source} (ws, admin, queue) and {@code outcome} (cancelling, not_running). */
    public Counter cancels(String source, String outcome) {
        return registry.getOrCreate(Counter.builder(P + "cancels").description("Cancel requests, by source and"
                + " outcome").addTag(Tag.create("source", source)).addTag(Tag.create("outcome", outcome)));
    }

    /** Deliveries that did not complete, by {@code reason}: invalid_input, answer_failed, internal_error, requeued. */
    public Counter deliveriesFailed(String reason) {
        return registry.getOrCreate(Counter.builder(P + "deliveries.failed").description("Deliveries not completed, "
                + "by reason").addTag(Tag.create("reason", reason)));
    }

    /** OpenAI answers by HTTP status ({@code 200}, {@code 429}, …) or {@code error} when none came. */
    public Counter openAiRequests(String status) {
        return registry.getOrCreate(Counter.builder(P + "openai.requests").description("OpenAI requests, by answer")
                .addTag(Tag.create("status", status)));
    }

    /** Tool calls by tool and {@code outcome}: ok, error, timeout. */
    public Counter toolCalls(String tool, String outcome) {
        return registry.getOrCreate(Counter.builder(P + "tool.calls").description("Tool calls, by tool and outcome")
                .addTag(Tag.create("tool", tool)).addTag(Tag.create("outcome", outcome)));
    }

    private Counter counter(String name, String description) {
        return registry.getOrCreate(Counter.builder(P + name).description(description));
    }

    private Timer timer(String name, String description) {
        return registry.getOrCreate(Timer.builder(P + name).description(description).buckets(LATENCY)
                .percentiles(new double[0]));
    }

    /** A gauge of this instance's value; one registered earlier under the name (an earlier instance's) is replaced. */
    private AtomicInteger gauge(String name, String description) {
        AtomicInteger value = new AtomicInteger();
        if (!registerGauges) {
            return value;
        }
        Supplier<Integer> read = value::get;
        registry.meter(Gauge.class, P + name, List.of()).ifPresent(registry::remove);
        registry.getOrCreate(Gauge.builder(P + name, read).description(description));
        return value;
    }
}
