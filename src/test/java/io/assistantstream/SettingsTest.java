package io.assistantstream;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import io.assistantstream.config.InvalidSettingException;
import io.assistantstream.config.ModelApi;
import io.assistantstream.config.RedisMode;
import io.assistantstream.config.Settings;
import io.assistantstream.config.WebSocketMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** app.yaml holds the seed's defaults; variables override them; bad values fail naming the variable. */
class SettingsTest {
    private static Settings read(Map<String, String> env) {
        return Settings.from(Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(env), ConfigSources.classpath("app.yaml"))
                .build());
    }

    @Test
    void defaults_are_the_seeds() {
        Settings settings = read(Map.of("openai.api.key", "sk-x"));
        assertEquals("gpt-4o-mini", settings.openAi().model());
        assertEquals("https://api.openai.com/v1", settings.openAi().baseUrl().toString());
        assertEquals(ModelApi.RESPONSES, settings.openAi().api());
        assertEquals("amqp://guest:guest@localhost:5672/", settings.rabbit().url().toString());
        assertEquals("cosmo_queue", settings.rabbit().queue());
        assertEquals("cosmo_key", settings.rabbit().routingKey());
        assertEquals("cosmo_exchange", settings.rabbit().exchange());
        assertEquals("cosmo_exchange_dlx", settings.rabbit().deadLetterExchange());
        assertEquals("cosmo_queue_failed", settings.rabbit().deadLetterQueue());
        assertEquals(10, settings.rabbit().maxPriority());
        assertEquals(3_600_000L, settings.rabbit().messageTtlMs());
        assertEquals("ws://localhost:8080/ws", settings.stream().websocketUrl().toString());
        assertEquals(WebSocketMode.EMBEDDED, settings.stream().websocketMode());
        assertFalse(settings.stream().relay());
        assertEquals("redis://localhost:6379/0", settings.redis().url().toString());
        assertEquals("cosmo:", settings.redis().prefix());
        assertEquals(Duration.ofSeconds(7_776_000), settings.redis().threadExpiry());
        assertEquals(10, settings.stream().batchChars());
        assertEquals(Duration.ofSeconds(1), settings.stream().batchInterval());
        assertEquals(8080, settings.serverPort());
        assertEquals("", settings.weather().apiKey());
        assertEquals(Duration.ofSeconds(25), settings.stream().pingInterval());
        assertTrue(settings.stream().allowedOrigins().any(), "any origin, as the seed");
        assertEquals(1_048_576, settings.stream().sendQueueBytes());
        assertEquals(Duration.ofSeconds(600), settings.redis().frameLogKeep());
        assertEquals(2000, settings.redis().frameLogMaxFrames());
    }

    @Test
    void environment_variables_override_app_yaml_through_helidons_mapping() throws Exception {
        // a real process, so the real environment-variable source is used
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PrintSettings.class.getName());
        builder.environment().putAll(Map.of("OPENAI_API_KEY", "sk-env", "OPENAI_MODEL", "gpt-env",
                "REDIS_PREFIX", "env:", "STREAM_BATCH_CHARS", "0", "OPENAI_API", "assistants", "SERVER_PORT", "9999",
                "WEBSOCKET_MODE", "relay", "WEBSOCKET_URL", "wss://relay.example/ws", "WEBSOCKET_SEND_QUEUE_BYTES", "2048"));
        String out = run(builder);
        assertEquals("gpt-env env: 0 9999 assistants relay wss://relay.example/ws 2048", out.strip());
    }

    @Test
    void the_send_queue_in_frames_is_no_longer_read_and_saying_so_names_its_replacement() throws Exception {
        String expected = "WEBSOCKET_SEND_QUEUE is no longer supported: set WEBSOCKET_SEND_QUEUE_BYTES instead";
        for (Map<String, String> env : List.of(Map.of("openai.api.key", "sk-x", "websocket.send.queue", "64"),
                Map.of("openai.api.key", "sk-x", "websocket.send.queue", "64", "websocket.send.queue.bytes", "4096"))) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(env), env.toString());
            assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        }
        // as an environment variable, beside app.yaml's websocket.send.queue.bytes
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PrintSettings.class.getName()).redirectErrorStream(true);
        builder.environment().putAll(Map.of("OPENAI_API_KEY", "sk-env", "WEBSOCKET_SEND_QUEUE", "1024"));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue(), out);
        assertTrue(out.contains(expected), out);
    }

    @Test
    void the_log_level_takes_the_usual_names_and_the_shutdown_grace_is_in_milliseconds() {
        assertEquals(Level.INFO, read(Map.of("openai.api.key", "sk-x")).logLevel());
        assertEquals(Duration.ofSeconds(20), read(Map.of("openai.api.key", "sk-x")).shutdownGrace());
        assertEquals(Level.FINE, read(Map.of("openai.api.key", "sk-x", "log.level", "DEBUG")).logLevel());
        assertEquals(Level.WARNING, read(Map.of("openai.api.key", "sk-x", "log.level", "warn")).logLevel());
        assertEquals(Level.SEVERE, read(Map.of("openai.api.key", "sk-x", "log.level", "error")).logLevel());
        assertEquals(Duration.ofMillis(1500),
                read(Map.of("openai.api.key", "sk-x", "shutdown.grace.ms", "1500")).shutdownGrace());
    }

    @Test
    void the_assistants_backend_and_relay_mode_are_accepted_with_their_own_settings() {
        Settings settings = read(Map.of("openai.api.key", "sk-x", "openai.api", "assistants",
                "websocket.mode", "relay", "websocket.relay.buffer", "50", "websocket.relay.max.backoff.ms", "250",
                "openai.assistant.name", "helpdesk"));
        assertEquals(ModelApi.ASSISTANTS, settings.openAi().api());
        assertEquals("helpdesk", settings.openAi().assistantName());
        assertTrue(settings.stream().relay());
        assertEquals(50, settings.stream().relayBufferFrames());
        assertEquals(Duration.ofMillis(250), settings.stream().relayMaxBackoff());
    }

    @Test
    void a_missing_api_key_says_what_to_set() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(Map.of()));
        assertTrue(e.getMessage().startsWith("OPENAI_API_KEY is not set"), e.getMessage());
    }

    @Test
    void the_chat_and_echo_apis_go_without_a_key_and_azure_settings_are_read_as_given() {
        assertEquals("", read(Map.of("openai.api", "chat")).openAi().apiKey());
        assertEquals(ModelApi.ECHO, read(Map.of("openai.api", "ECHO")).openAi().api());
        Settings.OpenAi azure = read(Map.of("openai.api.key", "azure-key", "openai.auth.header", "api-key",
                "openai.query", "?api-version=2024-10-21", "openai.hosted.tools", "[{\"type\":\"web_search\"}]"))
                .openAi();
        assertEquals("api-key", azure.authHeader());
        assertEquals("api-version=2024-10-21", azure.query());
        assertEquals("[{\"type\":\"web_search\"}]", azure.hostedTools());
        assertFalse(azure.toString().contains("azure-key"), azure.toString());
        Settings defaults = read(Map.of("openai.api.key", "sk-x"));
        assertEquals("Authorization", defaults.openAi().authHeader());
        assertEquals("[]", defaults.openAi().hostedTools());
        assertEquals(50, defaults.openAi().historyMaxMessages());
        assertEquals("", defaults.tools().file());
        assertTrue(defaults.demoPage());
        assertEquals(Duration.ofMillis(60), defaults.openAi().echoWordPause());
        assertEquals(Duration.ZERO, read(Map.of("openai.api", "echo", "echo.word.ms", "0")).openAi().echoWordPause());
    }

    @Test
    void no_error_shows_a_password_or_key_given_in_a_url_a_query_or_a_hosted_tool() {
        List<Map<String, String>> cases = List.of(
                Map.of("redis.mode", "sentinel", "redis.url", "redis-sentinel://:my secret@h1:26379/0#m"),
                Map.of("redis.mode", "sentinel", "redis.url", "redis://:secret@h1:6379/0"),
                Map.of("rabbitmq.url", "amqp://app:s3cr,etsecret@h1:5672/,ftp://h2/"),
                Map.of("rabbitmq.url", "amqp://user:p@ss-secret@h1:5672/,amqp://other:x@h2:5672/"),
                Map.of("openai.query", "api-version=1&key=secret&"),
                Map.of("openai.hosted.tools", "[{\"server_url\":\"https://x\",\"headers\":{\"k\":\"secret\"}}]"),
                Map.of("openai.api", "chat", "openai.hosted.tools", "[{\"type\":\"web_search\"}]"));
        for (Map<String, String> given : cases) {
            Map<String, String> settings = new java.util.HashMap<>(given);
            settings.put("openai.api.key", "sk-x");
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(settings),
                    given.toString());
            assertFalse(e.getMessage().contains("secret") || e.getMessage().contains("etsecret"), e.getMessage());
        }
        assertEquals(List.of(java.net.URI.create("amqp://app:s3cr,et@h1:5672/"), java.net.URI.create("amqp://app:s3cr,et@h2:5672/")),
                read(Map.of("openai.api.key", "sk-x", "rabbitmq.url",
                        "amqp://app:s3cr,et@h1:5672/,amqp://app:s3cr,et@h2:5672/")).rabbit().urls(),
                "a comma in a password does not split the list");
        assertFalse(read(Map.of("openai.api.key", "sk-x", "openai.query", "api-version=1&key=secret")).toString()
                .contains("secret"), "the query's values are not logged");
    }

    @Test
    void a_redis_cluster_takes_its_seed_nodes_and_refuses_a_prefix_or_database_its_key_tags_cannot_take() {
        Settings.Redis cluster = read(Map.of("openai.api.key", "sk-x", "redis.mode", "cluster", "redis.url",
                "redis://:pw-secret@h1:7000, redis://:pw-secret@h2:7001/0")).redis();
        assertEquals(RedisMode.CLUSTER, cluster.mode());
        assertEquals(List.of("h1:7000", "h2:7001"),
                cluster.lettuceUris().stream().map(uri -> uri.getHost() + ":" + uri.getPort()).toList());
        assertFalse(cluster.toString().contains("secret"), cluster.toString());
        assertEquals("{app}:", read(Map.of("openai.api.key", "sk-x", "redis.prefix", "{app}:")).redis().prefix(),
                "one Redis takes any prefix");
        Map<String, String> refused = Map.of(
                "REDIS_PREFIX must not hold '{' or '}' with REDIS_MODE=cluster", "{app}:",
                "a Redis Cluster has database 0 only", "redis://h1:7000/2");
        refused.forEach((message, value) -> {
            Map<String, String> settings = new java.util.HashMap<>(Map.of("openai.api.key", "sk-x", "redis.mode", "cluster"));
            settings.put(value.startsWith("redis://") ? "redis.url" : "redis.prefix", value);
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(settings), value);
            assertTrue(e.getMessage().contains(message), e.getMessage());
        });
    }

    /** The service's environment in each scale-out example is settings the service takes, for the Redis it names. */
    @Test
    void the_scale_out_examples_give_the_service_valid_settings() throws Exception {
        Map<String, RedisMode> examples = Map.of("sentinel.compose.yaml", RedisMode.SENTINEL,
                "cluster.compose.yaml", RedisMode.CLUSTER);
        for (Map.Entry<String, RedisMode> example : examples.entrySet()) {
            Map<?, ?> compose = new org.yaml.snakeyaml.Yaml().load(java.nio.file.Files.readString(
                    java.nio.file.Path.of("docs/scale-out", example.getKey())));
            Map<?, ?> service = (Map<?, ?>) ((Map<?, ?>) compose.get("services")).get("assistant-stream");
            Map<String, String> settings = new java.util.HashMap<>();
            ((Map<?, ?>) service.get("environment")).forEach((variable, value) -> settings.put(
                    variable.toString().toLowerCase(java.util.Locale.ROOT).replace('_', '.'),
                    value.toString().replace("${OPENAI_API_KEY}", "sk-x")));
            Settings read = read(settings);
            assertEquals(example.getValue(), read.redis().mode(), example.getKey());
            assertEquals(3, read.rabbit().urls().size(), example.getKey());
        }
    }

    @Test
    void a_bad_value_fails_naming_the_variable() {
        List<List<String>> cases = List.of(
                List.of("worker.concurrency", "many", "WORKER_CONCURRENCY must be a whole number"),
                List.of("worker.concurrency", "0", "WORKER_CONCURRENCY must be between 1 and"),
                List.of("stream.batch.ms", "-1", "STREAM_BATCH_MS must be between 0 and"),
                List.of("openai.idle.timeout.ms", "0", "OPENAI_IDLE_TIMEOUT_MS must be between 1 and"),
                List.of("channel.lease.ms", "10", "CHANNEL_LEASE_MS must be between 1000 and"),
                List.of("redis.url", "http://x", "REDIS_URL must be a"),
                List.of("rabbitmq.url", "amqp://user:secret@", "RABBITMQ_URL must be a"),
                List.of("openai.base.url", "not a url", "OPENAI_BASE_URL is not a valid URL"),
                List.of("openai.api", "completions", "OPENAI_API must be one of"),
                List.of("openai.auth.header", "api key", "OPENAI_AUTH_HEADER is not a header name"),
                List.of("openai.query", "api-version", "OPENAI_QUERY must be name=value pairs"),
                List.of("redis.mode", "ring", "REDIS_MODE must be one of"),
                List.of("redis.mode", "sentinel", "REDIS_URL does not fit REDIS_MODE=sentinel"),
                List.of("queue.type", "stream", "QUEUE_TYPE must be one of"),
                List.of("queue.delivery.limit", "0", "QUEUE_DELIVERY_LIMIT must be between 1 and"),
                List.of("rabbitmq.url", "amqp://a:b@h1:5672/,amqp://c:d@h2:5672/", "RABBITMQ_URL lists brokers with"),
                List.of("rabbitmq.url", "amqp://h1:5672/,,amqp://h2:5672/", "RABBITMQ_URL has an empty entry"),
                List.of("openai.base.url", "https://x.openai.azure.com/openai?api-version=1",
                        "OPENAI_BASE_URL must not have a query"),
                List.of("openai.hosted.tools", "{\"type\":\"web_search\"}", "OPENAI_HOSTED_TOOLS must be a JSON array"),
                List.of("openai.hosted.tools", "[{\"type\":\"web_search\"", "OPENAI_HOSTED_TOOLS is not valid JSON"),
                List.of("openai.hosted.tools", "[{\"name\":\"x\"}]", "OPENAI_HOSTED_TOOLS: each tool must be"),
                List.of("openai.hosted.tools", "[{\"type\":\"function\"}]", "OPENAI_HOSTED_TOOLS holds tools the"),
                List.of("history.max.messages", "0", "HISTORY_MAX_MESSAGES must be between 1 and"),
                List.of("tool.output.max.bytes", "0", "TOOL_OUTPUT_MAX_BYTES must be between 1 and"),
                List.of("demo.page", "maybe", "DEMO_PAGE must be one of"),
                List.of("echo.word.ms", "-5", "ECHO_WORD_MS must be between 0 and"),
                List.of("tools.file", "/nonexistent/tools.yaml", "TOOLS_FILE /nonexistent/tools.yaml: there is no such"),
                List.of("tools.file", "tools\u0000.yaml", "TOOLS_FILE is not a valid path"),
                List.of("websocket.mode", "carrier-pigeon", "WEBSOCKET_MODE must be one of"),
                List.of("multitask.policy", "shout", "MULTITASK_POLICY must be one of"),
                List.of("websocket.url", "http://relay", "WEBSOCKET_URL must be a"),
                List.of("websocket.relay.buffer", "0", "WEBSOCKET_RELAY_BUFFER must be between 1 and"),
                List.of("websocket.send.queue.bytes", "1000", "WEBSOCKET_SEND_QUEUE_BYTES must be between 1024 and"),
                List.of("frame.log.seconds", "0", "FRAME_LOG_SECONDS must be between 1 and"),
                List.of("frame.log.max.frames", "none", "FRAME_LOG_MAX_FRAMES must be a whole number"),
                List.of("openai.assistant.name", "", "OPENAI_ASSISTANT_NAME must not be empty"),
                List.of("log.level", "loud", "LOG_LEVEL must be one of"),
                List.of("openai.answer.timeout.ms", "1000000", "OPENAI_ANSWER_TIMEOUT_MS and CHANNEL_LEASE_MS let a "
                        + "delivery stay unacknowledged for up to 2120 s, not below RabbitMQ's consumer timeout"),
                List.of("shutdown.grace.ms", "0", "SHUTDOWN_GRACE_MS must be between 1 and"),
                List.of("openai.model", " ", "OPENAI_MODEL must not be empty"),
                List.of("websocket.ping.seconds", "0", "WEBSOCKET_PING_SECONDS must be between 1 and"),
                List.of("websocket.ping.seconds", "151", "WEBSOCKET_PING_SECONDS (151 s) must be at most half the "
                        + "server's idle-connection timeout (SERVER_IDLE_dash_CONNECTION_dash_TIMEOUT, 300 s)"),
                List.of("server.idle-connection-timeout", "soon",
                        "SERVER_IDLE_dash_CONNECTION_dash_TIMEOUT must be a duration such as PT5M"),
                List.of("websocket.allowed.origins", "https://app.example.com/chat",
                        "WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example.com/chat' is not an origin"),
                List.of("websocket.allowed.origins", "https://ok.example, app.example.com",
                        "WEBSOCKET_ALLOWED_ORIGINS: 'app.example.com' is not an origin"));
        for (List<String> c : cases) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class,
                    () -> read(Map.of("openai.api.key", "sk-x", c.get(0), c.get(1))), c.get(0));
            assertTrue(e.getMessage().startsWith(c.get(2)), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), "no password in the error: " + e.getMessage());
        }
    }

    @Test
    void channel_tokens_limits_and_the_management_port_default_to_the_predecessors_single_open_port() {
        Settings settings = read(Map.of("openai.api.key", "sk-x"));
        assertFalse(settings.access().channels().required());
        assertTrue(settings.access().channels().mint().isEmpty());
        assertEquals(100, settings.stream().maxSubscriptions());
        assertEquals(10_000, settings.access().maxConnections());
        assertEquals(20, settings.access().messagesPerSecond());
        assertFalse(settings.access().separateManagement());
        Settings jwt = read(Map.of("openai.api.key", "sk-x", "websocket.auth", "jwt", "websocket.jwt.secret",
                "0123456789abcdef0123456789abcdef", "management.port", "9090"));
        assertTrue(jwt.access().channels().required());
        assertTrue(jwt.access().channels().mint().isPresent());
        assertEquals(9090, jwt.access().managementPort());
    }

    @Test
    void channel_token_and_management_settings_that_cannot_work_fail_at_start_naming_what_to_set() {
        List<List<String>> cases = List.of(
                List.of("websocket.auth", "maybe", "", "", "WEBSOCKET_AUTH must be one of"),
                List.of("websocket.auth", "jwt", "", "", "WEBSOCKET_AUTH is jwt but no key checks the tokens"),
                List.of("websocket.auth", "jwt", "websocket.jwt.secret", "short",
                        "WEBSOCKET_JWT_SECRET: an HS256 secret needs at least 32 bytes"),
                List.of("websocket.jwt.secret", "0123456789abcdef0123456789abcdef", "websocket.jwt.jwks.url",
                        "https://id.example.com/jwks.json", "set only one of WEBSOCKET_JWT_SECRET"),
                List.of("websocket.auth", "jwt", "websocket.jwt.public.key", "not a key",
                        "WEBSOCKET_JWT_PUBLIC_KEY: expected a PEM block"),
                List.of("websocket.auth", "jwt", "websocket.jwt.jwks.url", "ftp://id.example.com/jwks",
                        "WEBSOCKET_JWT_JWKS_URL must be a URL"),
                List.of("management.port", "8080", "", "", "MANAGEMENT_PORT must differ from SERVER_PORT"),
                List.of("websocket.max.connections", "0", "", "", "WEBSOCKET_MAX_CONNECTIONS must be between 1"),
                List.of("websocket.max.messages.per.second", "x", "", "",
                        "WEBSOCKET_MAX_MESSAGES_PER_SECOND must be a whole number"));
        for (List<String> c : cases) {
            Map<String, String> env = new java.util.HashMap<>(Map.of("openai.api.key", "sk-x", c.get(0), c.get(1)));
            if (!c.get(2).isEmpty()) {
                env.put(c.get(2), c.get(3));
            }
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(env), c.toString());
            assertTrue(e.getMessage().startsWith(c.get(4)), e.getMessage());
        }
    }

    @Test
    void the_settings_as_logged_hold_no_secret() {
        Settings settings = read(Map.of("openai.api.key", "sk-very-secret", "openweather.api.key", "ow-very-secret",
                "rabbitmq.url", "amqp://user:pw-very-secret@host:5672/", "redis.url", "redis://:rd-very-secret@host:6379/0",
                "websocket.auth", "jwt", "websocket.jwt.secret", "jwt-very-secret-jwt-very-secret-jwt-very-secret"));
        String shown = settings.openAi() + " " + settings.rabbit() + " " + settings.redis() + " " + settings.weather()
                + " " + settings.access() + " " + settings;
        assertFalse(shown.contains("very-secret"), shown);
    }

    @Test
    void the_service_refuses_to_start_without_an_api_key() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName());
        builder.environment().remove("OPENAI_API_KEY");
        builder.environment().put("OPENAI_API_KEY", "");
        Process process = builder.redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue(), out);
        assertTrue(out.contains("OPENAI_API_KEY is not set"), out);
    }

    private static String run(ProcessBuilder builder) throws Exception {
        Process process = builder.redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), out.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Prints a few settings as the real configuration (with the process environment) gives them. */
    public static final class PrintSettings {
        public static void main(String[] args) {
            Settings s;
            try {
                s = Settings.from(Main.loadConfig());
            } catch (InvalidSettingException e) {
                System.out.println(e.getMessage());
                System.exit(1);
                return;
            }
            System.out.println(s.openAi().model() + " " + s.redis().prefix() + " " + s.stream().batchChars() + " "
                    + s.serverPort() + " " + s.openAi().api().wire() + " " + s.stream().websocketMode().wire() + " "
                    + s.stream().websocketUrl() + " " + s.stream().sendQueueBytes());
        }
    }
}
