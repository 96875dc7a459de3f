package io.assistantstream;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.health.HealthCheckType;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.helidon.webclient.api.WebClient;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.websocket.WsRouting;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;

import io.assistantstream.admin.AdminService;
import io.assistantstream.admin.ConversationAdmin;
import io.assistantstream.answer.Responder;
import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.OpenAiClient;
import io.assistantstream.backend.StreamWatchdog;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.assistants.AssistantsBackend;
import io.assistantstream.backend.chat.ChatCompletionsBackend;
import io.assistantstream.backend.echo.EchoBackend;
import io.assistantstream.backend.responses.ResponsesBackend;
import io.assistantstream.config.RedisMode;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.LocalDelivery;
import io.assistantstream.frames.RedisFramePublisher;
import io.assistantstream.frames.RelayConnection;
import io.assistantstream.hub.HubEndpoint;
import io.assistantstream.hub.OriginCheckingUpgrader;
import io.assistantstream.hub.RedisFrameFeed;
import io.assistantstream.hub.SubscriberHub;
import io.assistantstream.intake.Intake;
import io.assistantstream.intake.QueueProducer;
import io.assistantstream.lease.ChannelLease;
import io.assistantstream.observe.DependencyChecks;
import io.assistantstream.observe.Meters;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.redis.RedisDeployment;
import io.assistantstream.redis.RedisVersion;
import io.assistantstream.steering.CancelBoard;
import io.assistantstream.store.AnsweredMessages;
import io.assistantstream.store.AssistantIdStore;
import io.assistantstream.store.ChatHistory;
import io.assistantstream.store.RedisConversationStore;
import io.assistantstream.tools.HttpTool;
import io.assistantstream.tools.Tool;
import io.assistantstream.tools.ToolRegistry;
import io.assistantstream.tools.WeatherTool;
import io.assistantstream.web.ClientScript;
import io.assistantstream.web.DemoPage;

/**
 * One running instance of the service, wired from its {@link Settings}: the web server with
 * {@code /ws}, the Redis connections, the OpenAI client, and the RabbitMQ intake, which starts
 * last so that no delivery arrives before everything it needs is up.
 */
public final class AssistantStream implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AssistantStream.class.getName());
    /** How long a command waits for Redis before the delivery is given back to the queue. */
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEUE_DELAY = Duration.ofSeconds(1);
    private static final Duration LEASE_POLL = Duration.ofMillis(20);
    private static final int REDIS_CONNECTIONS = 4;
    /** The named socket of {@code /admin} and {@code /observe} when {@code MANAGEMENT_PORT} is set. */
    private static final String MANAGEMENT_SOCKET = "management";

    /** What this instance opened, the latest first: closing goes the opposite way to starting. */
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final WebServer server;
    private final Intake intake;
    /** This instance's WebSocket clients; null in relay mode. */
    private final SubscriberHub hub;
    private final Meters meters;

    private AssistantStream(Settings settings) throws Exception {
        try {
            meters = new Meters(Services.get(MeterRegistry.class));
            Settings.Stream stream = settings.stream();
            // One I/O thread per connection (commands, pub/sub, frame publisher, frame-log reads): sharing one made the
            // replies of lease and store calls wait behind pub/sub traffic, 10-20 ms each under load.
            ClientResources redisResources = DefaultClientResources.builder().ioThreadPoolSize(REDIS_CONNECTIONS)
                    .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2,
                            TimeUnit.MILLISECONDS))
                    .build();
            opened.push(() -> redisResources.shutdown(0, 2, TimeUnit.SECONDS));
            RedisDeployment redis = opened(redisOf(settings.redis(), redisResources));
            KeySpace keys = redis.keys();
            countReconnects(redisResources, meters);
            RedisConnection<String, String> commands = redis.connect();
            RedisVersion.require(commands.sync().info("server"));
            // Resuming clients' reads get a connection of their own: a long replay must not hold up leases.
            FrameLog frameLog = new FrameLog(stream.relay() ? null : redis.connect(), keys);
            hub = stream.relay() ? null
                    : opened(new SubscriberHub(new RedisFrameFeed(redis.channelTopics(), keys, frameLog),
                    stream.pingInterval(), settings.access().maxConnections(), meters));
            RelayConnection relay = stream.relay() ? opened(new RelayConnection(stream.websocketUrl(),
                    stream.relayBufferFrames(), stream.relayMaxBackoff(), stream.pingInterval())) : null;
            RedisFramePublisher publisher = opened(new RedisFramePublisher(redis.connectBytes(),
                    seqExpiry(settings), settings.redis().dedupWindow(), frameLog,
                    new RedisFramePublisher.Retention(settings.redis().frameLogKeep(),
                            settings.redis().frameLogMaxFrames()), relay,
                    hub == null ? LocalDelivery.NONE : hub, meters));
            ChannelLease lease = opened(new ChannelLease(commands, keys, settings.redis().channelLease(), LEASE_POLL));
            // A waiting delivery may sit behind one whole answer of another instance, plus a lease expiry
            // (see Settings.longestUnacknowledged).
            Duration leaseWait = settings.openAi().answerTimeout().plus(settings.redis().channelLease())
                    .plus(settings.redis().channelLease());
            // Cancels reach the instance that holds the message through a pub/sub connection of their own.
            CancelBoard cancels = opened(new CancelBoard(commands, redis.broadcastTopics(), keys,
                    leaseWait.plus(settings.openAi().answerTimeout()).plus(Duration.ofMinutes(1)), Clock.systemUTC()));

            WebClient http = WebClient.builder()
                    .connectTimeout(settings.openAi().connectTimeout())
                    .build();
            StreamWatchdog watchdog = opened(new StreamWatchdog(Duration.ofMillis(50)));
            AssistantBackend backend = backend(settings, http, watchdog, commands, keys, true, meters);
            Responder responder = new Responder(
                    new RedisConversationStore(commands, keys, settings.redis().threadExpiry(), Clock.systemUTC()),
                    backend, stream, settings.openAi().answerTimeout(), Clock.systemUTC(), meters);

            int maxIdChars = settings.rabbit().maxIdChars();
            WebServerConfig.Builder web = WebServer.builder()
                    .config(settings.server())
                    .port(settings.serverPort());
            Settings.Access access = settings.access();
            if (hub != null) {
                HubEndpoint.Limits limits = new HubEndpoint.Limits(stream.sendQueueBytes(), maxIdChars,
                        stream.maxSubscriptions(), access.messagesPerSecond());
                web.addRouting(WsRouting.builder().endpoint("/ws", () -> new HubEndpoint(hub, access.channels(),
                        limits, cancels)));
                if (!access.channels().required()) {
                    LOG.warning("WEBSOCKET_AUTH is none: anyone who reaches /ws can read every channel (set"
                            + " WEBSOCKET_AUTH=jwt and a WEBSOCKET_JWT_* key to require channel tokens)");
                }
                // The handshake decides on the Origin itself: Helidon's own check knows only exact lists.
                web.addConnectionSelector(OriginCheckingUpgrader.selector(stream.allowedOrigins(),
                        Http1Config.create(settings.server().get("protocols").get("http_1_1"))));
                if (stream.allowedOrigins().any()) {
                    LOG.warning("WEBSOCKET_ALLOWED_ORIGINS is empty: pages on any site can open /ws (set it to the"
                            + " origins of your app's pages, e.g. https://app.example.com)");
                }
            }
            QueueProducer producer = settings.adminToken().isEmpty() ? null : opened(new QueueProducer(settings.rabbit()));
            AdminService admin = new AdminService(new ConversationAdmin(commands, keys, Clock.systemUTC()), producer,
                    access.channels().mint().orElse(null), cancels, meters, settings.adminToken());
            if (access.separateManagement()) { // /ws may face the internet; /admin and /observe stay on this port
                web.putSocket(MANAGEMENT_SOCKET, socket -> socket.port(access.managementPort())
                        .host(settings.server().get("host").asString().orElse("0.0.0.0"))
                        .routing(routing -> routing.register("/admin", admin)));
            }
            DemoPage page = demoPage(settings, hub != null);
            ClientScript clientScript = new ClientScript();
            web.routing(routing -> {
                routing.get("/client.js", clientScript);
                if (page != null) {
                    routing.register(page);
                }
                if (!access.separateManagement()) {
                    routing.register("/admin", admin);
                }
            });
            intake = new Intake(settings.rabbit(), lease, responder, publisher,
                    new AnsweredMessages(commands, keys, settings.redis().dedupWindow()), cancels, leaseWait, REQUEUE_DELAY, meters);
            web.addFeature(ObserveFeature.builder()
                    .sockets(List.of(access.separateManagement() ? MANAGEMENT_SOCKET : WebServer.DEFAULT_SOCKET_NAME))
                    .addObserver(HealthObserver.builder().details(true).useSystemServices(false)
                            .addCheck(DependencyChecks.redis(commands), HealthCheckType.READINESS, "redis")
                            .addCheck(DependencyChecks.rabbit(intake::consuming, intake::messagesReady),
                                    HealthCheckType.READINESS, "rabbitmq")
                            .addCheck(DependencyChecks.openAi(settings.openAi().baseUrl()), HealthCheckType.READINESS,
                                    "openai")
                            .build())
                    .addObserver(MetricsObserver.create())
                    .build());
            server = web.build().start();
            opened.push(server::stop);
            if (hub != null) {
                opened.push(hub::goAway); // before the server stops, so clients hear why
            }

            opened(intake);
            intake.start();
            LOG.info("assistant-stream ready on port " + server.port()
                    + (access.separateManagement() ? " (/admin and /observe on port " + managementPort() + ")" : "")
                    + " (" + settings.openAi() + ", " + settings.tools() + ", " + stream + ", " + access + ", "
                    + settings.rabbit() + ", " + settings.redis() + ")");
        } catch (Exception | Error e) {
            close(); // a start that fails leaves no connection or thread behind
            throw e;
        }
    }

    /**
     * The page at {@code /}, or null: {@code DEMO_PAGE=false} turns it off, and in relay mode there is
     * no {@code /ws} here for it to read.
     */
    private static DemoPage demoPage(Settings settings, boolean servesWs) {
        if (!settings.demoPage()) {
            return null;
        }
        if (!servesWs) {
            LOG.info("The demo page at / is off in relay mode: this instance serves no /ws for it to read");
            return null;
        }
        Settings.Access access = settings.access();
        DemoPage.Admin admin = settings.adminToken().isEmpty() ? DemoPage.Admin.DISABLED
                : access.separateManagement() ? DemoPage.Admin.MANAGEMENT_PORT : DemoPage.Admin.HERE;
        return new DemoPage(access.channels().required(), access.channels().mint().isPresent(), admin,
                settings.stream().allowedOrigins()::allows);
    }

    /**
     * How long a channel's seq counter lives after a turn reserved seqs: as long as its conversation,
     * and at least as long as the turn plus its frames' log. A counter that expired while the log
     * still held frames would number new frames below them.
     */
    private static Duration seqExpiry(Settings settings) {
        Duration outlivesLog = settings.openAi().answerTimeout().plus(settings.redis().frameLogKeep());
        Duration threadExpiry = settings.redis().threadExpiry();
        return threadExpiry.compareTo(outlivesLog) >= 0 ? threadExpiry : outlivesLog;
    }

    /** Counts the Redis connections re-established (lettuce reconnects by itself). */
    private static void countReconnects(ClientResources resources, Meters meters) {
        AtomicBoolean lost = new AtomicBoolean();
        resources.eventBus().get().subscribe(event -> {
            if (event instanceof DisconnectedEvent) {
                lost.set(true);
            } else if (event instanceof ConnectionActivatedEvent && lost.getAndSet(false)) {
                meters.redisReconnects().increment();
            }
        });
    }

    private <T extends AutoCloseable> T opened(T resource) {
        opened.push(resource);
        return resource;
    }

    /**
     * The backend {@code OPENAI_API} names, with the tools.
     *
     * @param ready make it ready to answer (the assistants backend verifies its assistant); creating
     *              conversations needs no more than construction
     */
    private static AssistantBackend backend(Settings settings, WebClient http, StreamWatchdog watchdog,
                                            RedisConnection<String, String> redis, KeySpace keys, boolean ready,
                                            Meters meters)
            throws AnswerFailedException, InterruptedException {
        Settings.OpenAi openAi = settings.openAi();
        OpenAiClient client = new OpenAiClient(http, openAi, watchdog, meters);
        ToolRounds tools = new ToolRounds(new ToolRegistry(tools(settings, http), settings.weather().toolTimeout(),
                settings.tools().outputMaxBytes(), meters));
        return switch (openAi.api()) {
            case RESPONSES -> new ResponsesBackend(client, tools, openAi.model(), openAi.instructions(),
                    openAi.hostedTools());
            case ASSISTANTS -> {
                AssistantsBackend assistants = new AssistantsBackend(client, tools,
                        new AssistantIdStore(redis, keys), openAi.model(), openAi.assistantName(),
                        openAi.instructions());
                if (ready) {
                    assistants.start(Deadline.in(openAi.answerTimeout()));
                }
                yield assistants;
            }
            case CHAT -> new ChatCompletionsBackend(client, tools, new ChatHistory(redis, keys,
                    settings.redis().threadExpiry(), openAi.historyMaxMessages()), openAi.model(), openAi.instructions());
            case ECHO -> new EchoBackend(tools, !settings.weather().apiKey().isEmpty(), openAi.echoWordPause());
        };
    }

    /** The built-in tools, then those {@code TOOLS_FILE} declares, each a POST to its endpoint. */
    private static List<Tool> tools(Settings settings, WebClient http) {
        List<Tool> tools = new ArrayList<>();
        tools.add(new WeatherTool(http, settings.weather().baseUrl(), settings.weather().apiKey(),
                settings.weather().toolTimeout()));
        settings.tools().declared().forEach(declared -> tools.add(new HttpTool(declared, http,
                settings.tools().outputMaxBytes())));
        return tools;
    }

    /**
     * Maps {@code channel} to a new conversation upstream, as a first message on it would, without
     * starting a service (the command line's {@code --generate-uuid}); returns the conversation's id.
     */
    public static String newConversation(Settings settings, String channel) throws Exception {
        try (RedisDeployment redis = redisOf(settings.redis(), null);
             StreamWatchdog watchdog = new StreamWatchdog(Duration.ofMillis(50));
             RedisConnection<String, String> commands = redis.connect()) {
            WebClient http = WebClient.builder().connectTimeout(settings.openAi().connectTimeout()).build();
            AssistantBackend backend = backend(settings, http, watchdog, commands, redis.keys(), false,
                    Meters.ofCommand(Services.get(MeterRegistry.class)));
            String id = backend.createConversation(channel, Deadline.in(settings.openAi().answerTimeout()));
            new RedisConversationStore(commands, redis.keys(), settings.redis().threadExpiry(),
                    Clock.systemUTC()).map(channel, id, backend.name());
            return id;
        }
    }

    /**
     * The Redis {@code REDIS_MODE} and {@code REDIS_URL} name, its clients opened (not yet a connection).
     *
     * @param resources lettuce's threads, shared by the connections; null for defaults of its own
     */
    public static RedisDeployment redisOf(Settings.Redis redis, ClientResources resources) {
        return RedisDeployment.open(resources, redis.lettuceUris(), redis.mode() == RedisMode.CLUSTER, redis.prefix(),
                REDIS_TIMEOUT);
    }

    /** Starts an instance; throws if any dependency cannot be reached or set up. */
    public static AssistantStream start(Settings settings) throws Exception {
        return new AssistantStream(settings);
    }

    /** The port the web server listens on ({@code /ws} in embedded mode). */
    public int port() {
        return server.port();
    }

    /** The port of {@code /admin} and {@code /observe}: {@link #port()} unless {@code MANAGEMENT_PORT} is set. */
    public int managementPort() {
        int management = server.port(MANAGEMENT_SOCKET);
        return management > 0 ? management : server.port();
    }

    /** The meters this instance records in. */
    public Meters meters() {
        return meters;
    }

    /** This instance's {@code /ws} clients and subscriptions; empty in relay mode. */
    public Optional<SubscriberHub> hub() {
        return Optional.ofNullable(hub);
    }

    /** Stops taking deliveries, lets answers in flight finish (up to {@code grace}), then closes all. */
    public void stop(Duration grace) {
        intake.stop(grace);
        close();
    }

    @Override
    public void close() {
        for (AutoCloseable resource; (resource = opened.poll()) != null; ) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Could not close " + resource, e);
            }
        }
    }
}
