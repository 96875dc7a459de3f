package io.assistantstream.config;

import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Level;

import io.helidon.config.Config;

import io.assistantstream.access.ChannelAccess;
import io.assistantstream.hub.AllowedOrigins;
import io.assistantstream.steering.MultitaskPolicy;
import io.assistantstream.tools.DeclaredTool;
import io.assistantstream.tools.InvalidToolsFileException;
import io.assistantstream.tools.ToolsFile;

/**
 * Every setting of the service, validated once at start. Grouped by the part of the service that
 * uses it, so each component takes only its own group. {@code adminToken} ({@code ADMIN_TOKEN}, empty:
 * the admin routes are off) is a secret: never log it.
 */
public record Settings(OpenAi openAi,
                       Rabbit rabbit,
                       Redis redis,
                       Stream stream,
                       Weather weather,
                       Tools tools,
                       Access access,
                       String adminToken,
                       Duration shutdownGrace,
                       Level logLevel,
                       int serverPort,
                       boolean demoPage,
                       Config server) {

    /**
     * The model server: its API, address, key, retries and timeouts. {@code apiKey} (empty: none sent)
     * is a secret: never log it. It is sent as {@code Authorization: Bearer <key>}, or, when
     * {@code authHeader} names another header ({@code api-key} for Azure OpenAI), as that header's
     * value; {@code query} ({@code api-version=…} for Azure) is added to every request's URL. The
     * {@code chat} API keeps each channel's history in Redis, at most {@code historyMaxMessages}
     * messages a request; {@code hostedTools} (a JSON array, {@code []} for none) is added to the
     * {@code tools} of every Responses request. The {@code echo} API, which has no server, streams
     * a word every {@code echoWordPause}.
     */
    public record OpenAi(String apiKey, String model, URI baseUrl, ModelApi api, String instructions,
                         String assistantName, int maxRetries, Duration connectTimeout, Duration firstEventTimeout,
                         Duration idleTimeout, Duration answerTimeout, String authHeader, String query,
                         int historyMaxMessages, String hostedTools, Duration echoWordPause) {
        /** The default header: {@code Authorization: Bearer <key>}. */
        public static final String BEARER = "Authorization";

        /** Settings for a server at {@code baseUrl}, with the defaults for everything the tests need not set. */
        public static OpenAi of(String apiKey, URI baseUrl, ModelApi api, int maxRetries, Duration connectTimeout,
                                Duration firstEventTimeout, Duration idleTimeout, Duration answerTimeout) {
            return new OpenAi(apiKey, "gpt-test", baseUrl, api, "", "assistant", maxRetries, connectTimeout,
                    firstEventTimeout, idleTimeout, answerTimeout, BEARER, "", 50, "[]", Duration.ofMillis(60));
        }

        @Override
        public String toString() {
            return "OpenAi[model=" + model + ", baseUrl=" + RedactedUri.of(baseUrl) + ", api=" + api.wire()
                    + (authHeader.equals(BEARER) ? "" : ", key in header " + authHeader)
                    + (query.isEmpty() ? "" : ", query parameters " + query.replaceAll("=[^&]*", "")) + "]";
        }
    }

    /**
     * Tools beyond the built-in ones: those {@code TOOLS_FILE} declares ({@code file} empty: none),
     * read and validated with the settings, and the most bytes of a tool's output handed to the model
     * ({@code TOOL_OUTPUT_MAX_BYTES}). The declared tools' header values are secrets.
     */
    public record Tools(String file, List<DeclaredTool> declared, int outputMaxBytes) {
        public Tools {
            declared = List.copyOf(declared);
        }

        @Override
        public String toString() {
            return "Tools[" + (file.isEmpty() ? "no TOOLS_FILE" : "TOOLS_FILE " + file + ": "
                    + declared.stream().map(DeclaredTool::name).toList()) + ", output at most " + outputMaxBytes
                    + " bytes]";
        }
    }

    /**
     * RabbitMQ: its brokers ({@code RABBITMQ_URL}, one or more, tried in order; user, password, virtual
     * host and TLS are the first's), topology and intake limits, and what a message does when its
     * channel is busy ({@code MULTITASK_POLICY}, unless the message names its own). A
     * {@code quorum} queue dead-letters a message delivered {@code deliveryLimit} times.
     */
    public record Rabbit(List<URI> urls, String exchange, String queue, String routingKey, int maxPriority,
                         long messageTtlMs, int concurrency, int maxIdChars, int maxMessageBytes,
                         MultitaskPolicy multitask, QueueType queueType, int deliveryLimit) {
        /** The first broker's URL: its user, password, virtual host and TLS hold for all. */
        public URI url() {
            return urls.getFirst();
        }

        public String deadLetterExchange() {
            return exchange + "_dlx";
        }

        public String deadLetterQueue() {
            return queue + "_failed";
        }

        @Override
        public String toString() {
            return "Rabbit[url=" + urls.stream().map(SettingReader::redacted).toList() + ", exchange=" + exchange
                    + ", queue=" + queue + " (" + queueType.wire() + "), multitask " + multitask.wire() + "]";
        }
    }

    /**
     * Redis (location, key prefix, the channel lease; the keys: docs/ARCHITECTURE.md), and what the
     * service keeps there: conversations for {@code threadExpiry} after their last
     * use, a completed message for {@code dedupWindow}, and each channel's frame log for
     * {@code frameLogKeep} after its last frame, at most {@code frameLogMaxFrames} frames.
     */
    public record Redis(List<URI> urls, RedisMode mode, String prefix, Duration threadExpiry, Duration channelLease,
                        Duration dedupWindow, Duration frameLogKeep, int frameLogMaxFrames) {
        public Redis {
            urls = List.copyOf(urls);
        }

        /** The server, the Sentinels' URL, or the first seed node of a cluster. */
        public URI url() {
            return urls.getFirst();
        }

        @Override
        public String toString() {
            return "Redis[" + mode.wire() + " " + urls.stream().map(SettingReader::redacted).toList() + ", prefix="
                    + prefix + "]";
        }

        /**
         * Where lettuce connects: the server, the Sentinels that say which server is the master, or
         * the cluster's seed nodes (any one that answers tells it the whole cluster).
         */
        public List<io.lettuce.core.RedisURI> lettuceUris() {
            return urls.stream().map(url -> io.lettuce.core.RedisURI.create(url.toString())).toList();
        }
    }

    /**
     * Frame batching and WebSocket delivery: served on {@code /ws} ({@code embedded}) or
     * sent to an external relay at {@code websocketUrl} ({@code relay}), with up to
     * {@code relayBufferFrames} frames waiting while the relay is away. Up to {@code sendQueueBytes}
     * (chars of JSON) wait for one {@code /ws} client, its {@code in_progress} frames merged when they
     * would not fit. Every WebSocket connection, the relay's included, is pinged every
     * {@code pingInterval}; {@code allowedOrigins} are the web pages that may open {@code /ws}.
     */
    public record Stream(int batchChars, Duration batchInterval, WebSocketMode websocketMode, URI websocketUrl,
                         int sendQueueBytes, int maxSubscriptions, int relayBufferFrames,
                         Duration relayMaxBackoff, Duration pingInterval, AllowedOrigins allowedOrigins) {
        public boolean relay() {
            return websocketMode == WebSocketMode.RELAY;
        }

        @Override
        public String toString() {
            return "Stream[mode=" + websocketMode.wire() + (relay() ? ", relay=" + SettingReader.redacted(websocketUrl) : "")
                    + ", batch=" + batchChars + " chars/" + batchInterval.toMillis() + " ms, ping "
                    + pingInterval.toSeconds() + " s" + (relay() ? "" : ", origins " + allowedOrigins) + "]";
        }
    }

    /**
     * Who may read which channel on {@code /ws} ({@code WEBSOCKET_AUTH} and the {@code WEBSOCKET_JWT_*}
     * keys, see {@link ChannelAccess}), the most clients this instance holds and the messages a second
     * each may send, and the port that serves {@code /admin} and {@code /observe} apart from
     * {@code /ws} ({@code MANAGEMENT_PORT}; -1: unset, everything on {@code SERVER_PORT}).
     */
    public record Access(ChannelAccess channels, int maxConnections, int messagesPerSecond, int managementPort) {
        /** Whether {@code /admin} and {@code /observe} have a port of their own. */
        public boolean separateManagement() {
            return managementPort >= 0;
        }

        @Override
        public String toString() {
            return "Access[auth " + channels + ", at most " + maxConnections + " connections, " + messagesPerSecond
                    + " messages/s each" + (separateManagement() ? ", management port " + managementPort : "") + "]";
        }
    }

    /** The get_weather tool. {@code apiKey} is a secret: never log it. */
    public record Weather(String apiKey, URI baseUrl, Duration toolTimeout) {
        @Override
        public String toString() {
            return "Weather[baseUrl=" + RedactedUri.of(baseUrl) + ", key " + (apiKey.isEmpty() ? "unset" : "set") + "]";
        }
    }

    @Override
    public String toString() {
        return "Settings[" + openAi + ", " + rabbit + ", " + redis + ", " + stream + ", " + weather + ", " + access
                + ", admin token "
                + (adminToken.isEmpty() ? "unset" : "set") + ", shutdown grace " + shutdownGrace.toMillis() + " ms, log "
                + logLevel + ", port " + serverPort + "]";
    }

    /**
     * Reads and validates every setting.
     *
     * @throws InvalidSettingException naming the variable to fix
     */
    public static Settings from(Config config) {
        return from(config, System::getenv);
    }

    /**
     * Reads and validates every setting, with {@code environment} for the {@code ${VAR}}s of
     * {@code TOOLS_FILE}'s header values (null for a variable that is not set).
     *
     * @throws InvalidSettingException naming the variable to fix
     */
    public static Settings from(Config config, Function<String, String> environment) {
        SettingReader in = new SettingReader(config);
        String apiKey = in.text("openai.api.key").strip();
        ModelApi api = in.oneOf("openai.api", ModelApi.class);
        if (apiKey.isEmpty() && api.needsKey()) {
            throw new InvalidSettingException("OPENAI_API_KEY is not set: set it to your OpenAI API key "
                    + "(or the key your OpenAI-compatible server expects; OPENAI_API=chat may go without one for a "
                    + "local server, OPENAI_API=echo needs none)");
        }
        OpenAi openAi = new OpenAi(apiKey,
                in.nonBlank("openai.model"),
                baseUrl(in),
                api,
                in.text("openai.instructions"),
                in.nonBlank("openai.assistant.name"),
                in.integer("openai.max.retries", 0, 10),
                millis(in, "openai.connect.timeout.ms"),
                millis(in, "openai.first.event.timeout.ms"),
                millis(in, "openai.idle.timeout.ms"),
                millis(in, "openai.answer.timeout.ms"),
                authHeader(in),
                query(in),
                in.integer("history.max.messages", 1, 10_000),
                hostedTools(in, api),
                Duration.ofMillis(in.longInteger("echo.word.ms", 0, 10_000)));
        Rabbit rabbit = new Rabbit(brokers(in),
                in.nonBlank("exchange.name"),
                in.nonBlank("queue.name"),
                in.text("routing.key"),
                in.integer("queue.max.priority", 0, 255),
                in.longInteger("queue.message.ttl.ms", 0, 0xFFFF_FFFFL),
                in.integer("worker.concurrency", 1, 65_535),
                in.integer("input.max.id.chars", 1, 65_536),
                in.integer("input.max.message.bytes", 1, 64 * 1024 * 1024),
                in.oneOf("multitask.policy", MultitaskPolicy.class),
                in.oneOf("queue.type", QueueType.class),
                in.integer("queue.delivery.limit", 1, 1_000_000));
        Redis redis = redis(in);
        Duration consumerTimeout = millis(in, "rabbitmq.consumer.timeout.ms");
        Duration unacked = longestUnacknowledged(openAi.answerTimeout(), redis.channelLease());
        if (unacked.compareTo(consumerTimeout) >= 0) {
            throw new InvalidSettingException("OPENAI_ANSWER_TIMEOUT_MS and CHANNEL_LEASE_MS let a delivery stay "
                    + "unacknowledged for up to " + unacked.toSeconds() + " s, not below RabbitMQ's consumer timeout "
                    + "(RABBITMQ_CONSUMER_TIMEOUT_MS, " + consumerTimeout.toSeconds() + " s), which would close the "
                    + "channel: shorten the answer timeout, or raise consumer_timeout on the broker and here");
        }
        Stream stream = new Stream(in.integer("stream.batch.chars", 0, 1_000_000),
                Duration.ofMillis(in.longInteger("stream.batch.ms", 0, 3_600_000)),
                in.oneOf("websocket.mode", WebSocketMode.class),
                in.uri("websocket.url", Set.of("ws", "wss")),
                sendQueueBytes(in),
                in.integer("websocket.max.subscriptions", 1, 1_000_000),
                in.integer("websocket.relay.buffer", 1, 10_000_000),
                millis(in, "websocket.relay.max.backoff.ms"),
                Duration.ofSeconds(in.integer("websocket.ping.seconds", 1, 3600)),
                in.origins("websocket.allowed.origins"));
        Duration idleTimeout = in.duration("server.idle-connection-timeout", Duration.ofMinutes(5));
        if (stream.pingInterval().multipliedBy(2).compareTo(idleTimeout) > 0) {
            throw new InvalidSettingException("WEBSOCKET_PING_SECONDS (" + stream.pingInterval().toSeconds()
                    + " s) must be at most half the server's idle-connection timeout ("
                    + SettingReader.variable("server.idle-connection-timeout") + ", " + idleTimeout.toSeconds()
                    + " s): the pongs of a client that only listens are what keep its connection open"
                    + ", and one may come late");
        }
        Weather weather = new Weather(in.text("openweather.api.key").strip(),
                in.uri("openweather.base.url", Set.of("http", "https")),
                millis(in, "tool.timeout.ms"));
        Tools tools = tools(in, weather.toolTimeout(), environment);
        int serverPort = in.integer("server.port", 0, 65_535);
        Access access = new Access(channelAccess(in),
                in.integer("websocket.max.connections", 1, 10_000_000),
                in.integer("websocket.max.messages.per.second", 1, 100_000),
                managementPort(in, serverPort));
        return new Settings(openAi, rabbit, redis, stream, weather, tools, access, in.text("admin.token").strip(),
                millis(in, "shutdown.grace.ms"), logLevel(in), serverPort, in.bool("demo.page"), config.get("server"));
    }

    /**
     * {@code WEBSOCKET_AUTH} and the token keys: with {@code jwt}, exactly one of
     * {@code WEBSOCKET_JWT_SECRET}, {@code WEBSOCKET_JWT_PUBLIC_KEY} and {@code WEBSOCKET_JWT_JWKS_URL};
     * with {@code none}, a key may still be set, to mint and check tokens before they are required.
     */
    private static ChannelAccess channelAccess(SettingReader in) {
        boolean required = in.oneOf("websocket.auth", Set.of("none", "jwt")).equals("jwt");
        String secret = in.text("websocket.jwt.secret").strip();
        String pem = in.text("websocket.jwt.public.key").strip();
        String jwks = in.text("websocket.jwt.jwks.url").strip();
        int given = (secret.isEmpty() ? 0 : 1) + (pem.isEmpty() ? 0 : 1) + (jwks.isEmpty() ? 0 : 1);
        if (given > 1) {
            throw new InvalidSettingException("set only one of WEBSOCKET_JWT_SECRET, WEBSOCKET_JWT_PUBLIC_KEY and"
                    + " WEBSOCKET_JWT_JWKS_URL: the key that signs channel tokens");
        }
        if (given == 0) {
            if (required) {
                throw new InvalidSettingException("WEBSOCKET_AUTH is jwt but no key checks the tokens: set"
                        + " WEBSOCKET_JWT_SECRET (HS256), WEBSOCKET_JWT_PUBLIC_KEY (PEM, RS256 or ES256) or"
                        + " WEBSOCKET_JWT_JWKS_URL");
            }
            return ChannelAccess.open();
        }
        String variable = !secret.isEmpty() ? "WEBSOCKET_JWT_SECRET" : !pem.isEmpty() ? "WEBSOCKET_JWT_PUBLIC_KEY"
                : "WEBSOCKET_JWT_JWKS_URL";
        ChannelAccess.Keys keys = !secret.isEmpty() ? ChannelAccess.Keys.secret(secret)
                : !pem.isEmpty() ? ChannelAccess.Keys.publicKey(pem)
                : ChannelAccess.Keys.jwks(in.uri("websocket.jwt.jwks.url", Set.of("http", "https")));
        try {
            return ChannelAccess.jwt(keys, required, in.text("websocket.jwt.audience").strip(),
                    in.text("websocket.jwt.issuer").strip(), JWKS_MIN_INTERVAL, java.time.Clock.systemUTC(),
                    ChannelAccess.CLOCK_SKEW);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(variable + ": " + e.getMessage());
        }
    }

    /** The shortest time between two fetches of the JWKS: a flood of made-up key ids cannot make it a flood of fetches. */
    private static final Duration JWKS_MIN_INTERVAL = Duration.ofSeconds(5);

    /**
     * {@code RABBITMQ_URL}: one broker's URL, or several separated by commas (a cluster's nodes), tried
     * in order; all with the same scheme, user, password and virtual host, since one connection's
     * credentials go to whichever answers.
     */
    private static List<URI> brokers(SettingReader in) {
        List<URI> urls = in.uris("rabbitmq.url", Set.of("amqp", "amqps"));
        URI first = urls.getFirst();
        for (URI other : urls) {
            if (!java.util.Objects.equals(other.getScheme(), first.getScheme())
                    || !java.util.Objects.equals(other.getRawUserInfo(), first.getRawUserInfo())
                    || !java.util.Objects.equals(vhost(other), vhost(first))) {
                throw new InvalidSettingException("RABBITMQ_URL lists brokers with different schemes, users, passwords"
                        + " or virtual hosts (" + SettingReader.redacted(first) + " and " + SettingReader.redacted(other)
                        + "): the nodes of one cluster share them");
            }
        }
        return urls;
    }

    private static String vhost(URI url) {
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        return path.isEmpty() || path.equals("/") ? "/" : path;
    }

    /** {@code OPENAI_BASE_URL}, without a query: parameters every request needs go in {@code OPENAI_QUERY}. */
    private static URI baseUrl(SettingReader in) {
        URI url = in.uri("openai.base.url", Set.of("http", "https"));
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new InvalidSettingException("OPENAI_BASE_URL must not have a query or a fragment: put parameters"
                    + " every request needs (such as Azure's api-version) in OPENAI_QUERY");
        }
        return url;
    }

    /** {@code TOOLS_FILE}, read and validated, and {@code TOOL_OUTPUT_MAX_BYTES}. */
    private static Tools tools(SettingReader in, Duration defaultTimeout, Function<String, String> environment) {
        String file = in.text("tools.file").strip();
        int outputMaxBytes = in.integer("tool.output.max.bytes", 1, 16 << 20);
        try {
            return new Tools(file, file.isEmpty() ? List.of() : ToolsFile.read(Path.of(file), environment,
                    defaultTimeout), outputMaxBytes);
        } catch (InvalidPathException e) {
            throw new InvalidSettingException("TOOLS_FILE is not a valid path: " + e.getReason());
        } catch (InvalidToolsFileException e) {
            throw new InvalidSettingException(e.getMessage());
        }
    }

    /** {@code OPENAI_AUTH_HEADER}: the header that carries the key, a token of HTTP's header-name characters. */
    private static String authHeader(SettingReader in) {
        String header = in.nonBlank("openai.auth.header").strip();
        if (!header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new InvalidSettingException("OPENAI_AUTH_HEADER is not a header name: \"" + header + "\" (e.g."
                    + " Authorization, or api-key for Azure OpenAI)");
        }
        return header;
    }

    /** {@code OPENAI_QUERY}: parameters added to every request's URL, {@code name=value&…}, without a leading '?'. */
    private static String query(SettingReader in) {
        String query = in.text("openai.query").strip();
        if (query.startsWith("?")) {
            query = query.substring(1);
        }
        if (!query.isEmpty() && !query.matches("[^=&?#\\s]+=[^&?#\\s]*(&[^=&?#\\s]+=[^&?#\\s]*)*")) {
            throw new InvalidSettingException("OPENAI_QUERY must be name=value pairs joined by '&', e.g."
                    + " api-version=2024-10-21 (its value is not shown: it may hold a key)");
        }
        return query;
    }

    /** {@code OPENAI_HOSTED_TOOLS}: a JSON array of tool objects, each with a {@code type}. */
    private static String hostedTools(SettingReader in, ModelApi api) {
        String text = in.text("openai.hosted.tools").strip();
        if (text.isEmpty()) {
            return "[]";
        }
        if (api != ModelApi.RESPONSES) {
            throw new InvalidSettingException("OPENAI_HOSTED_TOOLS works with OPENAI_API=responses only (the model"
                    + " server runs them through the Responses API); unset it for OPENAI_API=" + api.wire());
        }
        try {
            com.fasterxml.jackson.databind.JsonNode tools = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
            if (tools == null || !tools.isArray()) {
                throw new InvalidSettingException("OPENAI_HOSTED_TOOLS must be a JSON array such as"
                        + " [{\"type\":\"web_search\"}]");
            }
            for (int i = 0; i < tools.size(); i++) {
                com.fasterxml.jackson.databind.JsonNode tool = tools.get(i);
                if (!tool.isObject() || !tool.path("type").isTextual() || tool.path("type").asText().isBlank()) {
                    throw new InvalidSettingException("OPENAI_HOSTED_TOOLS: each tool must be an object with a"
                            + " \"type\" (web_search, file_search, mcp, …); tool " + (i + 1) + " has none"
                            + " (not shown: it may hold a key)");
                }
                if (tool.path("type").asText().equals("function")) {
                    throw new InvalidSettingException("OPENAI_HOSTED_TOOLS holds tools the model server runs; a"
                            + " function tool belongs in TOOLS_FILE");
                }
            }
            return tools.toString();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidSettingException("OPENAI_HOSTED_TOOLS is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** {@code MANAGEMENT_PORT}: empty for none (-1), else a port other than {@code SERVER_PORT}. */
    private static int managementPort(SettingReader in, int serverPort) {
        if (in.text("management.port").isBlank()) {
            return -1;
        }
        int port = in.integer("management.port", 0, 65_535);
        if (port == serverPort && port != 0) {
            throw new InvalidSettingException("MANAGEMENT_PORT must differ from SERVER_PORT (" + serverPort + "): it"
                    + " serves /admin and /observe apart from /ws");
        }
        return port;
    }

    /**
     * The longest a delivery can stay unacknowledged: waiting in its channel's line (at most one
     * whole answer of another instance plus two lease times, then it is requeued), then its own
     * answer, plus a minute for what follows it (a requeue pause, Redis and dead-letter waits).
     * RabbitMQ closes a channel whose delivery stays unacknowledged past its
     * {@code consumer_timeout}, so this must stay below it.
     */
    private static Duration longestUnacknowledged(Duration answerTimeout, Duration channelLease) {
        return answerTimeout.multipliedBy(2).plus(channelLease.multipliedBy(2)).plus(Duration.ofMinutes(1));
    }

    /** Only the Redis settings, for what needs nothing else (thread statistics and cleanup). */
    public static Redis redisFrom(Config config) {
        return redis(new SettingReader(config));
    }

    private static Redis redis(SettingReader in) {
        RedisMode mode = in.oneOf("redis.mode", RedisMode.class);
        String prefix = in.text("redis.prefix");
        if (mode == RedisMode.CLUSTER && (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0)) {
            throw new InvalidSettingException("REDIS_PREFIX must not hold '{' or '}' with REDIS_MODE=cluster (got '"
                    + prefix + "'): each channel's keys are tagged with braces so they share a slot");
        }
        return new Redis(redisUrls(in, mode), mode, prefix,
                Duration.ofSeconds(in.longInteger("redis.thread.expiry", 1, Integer.MAX_VALUE)),
                Duration.ofMillis(in.longInteger("channel.lease.ms", 1_000, 3_600_000)),
                Duration.ofSeconds(in.longInteger("dedup.window.s", 1, 90L * 86_400)),
                Duration.ofSeconds(in.longInteger("frame.log.seconds", 1, 30L * 86_400)),
                in.integer("frame.log.max.frames", 1, 1_000_000));
    }

    /**
     * {@code REDIS_URL} as {@code REDIS_MODE} wants it: one {@code redis://} or {@code rediss://} URL
     * (standalone), a cluster's seed nodes as such URLs separated by commas, or the Sentinels'
     * {@code redis-sentinel://host:port[,host:port…][/db]#master}, checked with lettuce's own parser.
     * An error never quotes the URL whole: it may hold a password.
     */
    private static List<URI> redisUrls(SettingReader in, RedisMode mode) {
        if (mode == RedisMode.STANDALONE) {
            return List.of(in.uri("redis.url", Set.of("redis", "rediss")));
        }
        if (mode == RedisMode.CLUSTER) {
            List<URI> seeds = in.uris("redis.url", Set.of("redis", "rediss"));
            for (URI seed : seeds) {
                String path = seed.getPath() == null ? "" : seed.getPath();
                if (!path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
                    throw new InvalidSettingException("REDIS_URL names database " + path.substring(1) + " in "
                            + SettingReader.redacted(seed) + ": a Redis Cluster has database 0 only");
                }
            }
            return seeds;
        }
        String raw = in.nonBlank("redis.url").strip();
        try {
            URI url = new URI(raw);
            io.lettuce.core.RedisURI parsed = io.lettuce.core.RedisURI.create(raw);
            if (!"redis-sentinel".equals(url.getScheme()) || parsed.getSentinels().isEmpty()
                    || parsed.getSentinelMasterId() == null || parsed.getSentinelMasterId().isBlank()) {
                throw new IllegalArgumentException("not a Sentinel URL with a master name");
            }
            return List.of(url);
        } catch (java.net.URISyntaxException e) {
            throw sentinelUrl(e.getReason());
        } catch (IllegalArgumentException e) {
            throw sentinelUrl(String.valueOf(e.getMessage()).replace(raw, SettingReader.redacted(raw)));
        }
    }

    private static InvalidSettingException sentinelUrl(String reason) {
        return new InvalidSettingException("REDIS_URL does not fit REDIS_MODE=sentinel (" + reason
                + "): use the form redis-sentinel://sentinel-1:26379,sentinel-2:26379/0#mymaster");
    }

    /**
     * These settings for a pipeline run inside a command: serving {@code /ws} itself on any free
     * port, whatever the mode, so the command can subscribe to it.
     */
    public Settings inProcess() {
        Stream embedded = new Stream(stream.batchChars(), stream.batchInterval(), WebSocketMode.EMBEDDED,
                stream.websocketUrl(),
                stream.sendQueueBytes(), stream.maxSubscriptions(), stream.relayBufferFrames(),
                stream.relayMaxBackoff(), stream.pingInterval(), stream.allowedOrigins());
        Access anyPort = new Access(access.channels(), access.maxConnections(), access.messagesPerSecond(), -1);
        return new Settings(openAi, rabbit, redis, embedded, weather, tools, anyPort, adminToken, shutdownGrace, logLevel,
                0, demoPage, server);
    }

    /**
     * {@code WEBSOCKET_SEND_QUEUE_BYTES}, from a KiB (a frame's fields alone take a few hundred) to a
     * GiB. It replaced {@code WEBSOCKET_SEND_QUEUE}, a count of frames: a value still set for that one
     * stops the start, since it would otherwise be ignored without a word.
     */
    private static int sendQueueBytes(SettingReader in) {
        in.replaced("websocket.send.queue", "websocket.send.queue.bytes",
                "a WebSocket client's send queue is now bounded in bytes, e.g. 1048576 for 1 MiB, and its "
                        + "in_progress frames are merged when they would not fit");
        return in.integer("websocket.send.queue.bytes", 1_024, 1 << 30);
    }

    /** {@code LOG_LEVEL}: the usual names (ERROR, WARN, INFO, DEBUG, TRACE) or java.util.logging's. */
    private static Level logLevel(SettingReader in) {
        String name = in.oneOf("log.level", Set.of("error", "warn", "warning", "info", "debug", "trace", "severe",
                "config", "fine", "finer", "finest", "off", "all"));
        return Level.parse(switch (name) {
            case "error" -> "SEVERE";
            case "warn" -> "WARNING";
            case "debug" -> "FINE";
            case "trace" -> "FINEST";
            default -> name.toUpperCase(Locale.ROOT);
        });
    }

    private static Duration millis(SettingReader in, String key) {
        return Duration.ofMillis(in.longInteger(key, 1, 86_400_000));
    }
}
