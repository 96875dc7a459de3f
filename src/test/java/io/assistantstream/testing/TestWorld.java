package io.assistantstream.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import io.helidon.config.Config;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import io.helidon.config.ConfigSources;
import io.lettuce.core.api.sync.RedisCommands;

import io.assistantstream.AssistantStream;
import io.assistantstream.config.Settings;
import io.assistantstream.fake.FakeOpenAi;

/**
 * One isolated test world: its own exchange, queues and Redis prefix (random suffix), a fake OpenAI,
 * and the machine's real Redis and RabbitMQ. Starts as many service instances on it as a test needs,
 * on random ports, and removes everything it made when closed.
 */
public final class TestWorld implements AutoCloseable, AfterEachCallback {
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> values = new HashMap<>();
    private final List<AssistantStream> services = new ArrayList<>();
    private final List<AutoCloseable> alsoClosed = new ArrayList<>();
    private final FakeOpenAi openAi;
    private final Rabbit rabbit;
    private final RedisKeys keys;

    private TestWorld() throws Exception {
        openAi = FakeOpenAi.start();
        set("openai.api.key", FakeOpenAi.API_KEY);
        set("openai.base.url", openAi.baseUrl());
        set("openweather.base.url", openAi.weatherBaseUrl());
        set("openweather.api.key", FakeOpenAi.WEATHER_KEY);
        set("exchange.name", "test_" + id + "_exchange");
        set("queue.name", "test_" + id + "_queue");
        set("routing.key", "test_" + id + "_key");
        set("redis.prefix", "test:" + id + ":");
        set("redis.url", "redis://127.0.0.1:6379/0");
        set("rabbitmq.url", "amqp://guest:guest@127.0.0.1:5672/");
        set("server.port", "0");
        set("stream.batch.chars", "0");
        set("stream.batch.ms", "0");
        set("openai.max.retries", "2");
        set("openai.first.event.timeout.ms", "5000");
        set("openai.idle.timeout.ms", "5000");
        set("openai.answer.timeout.ms", "60000");
        set("channel.lease.ms", "5000");
        keys = new RedisKeys(get("redis.url"), prefix());
        rabbit = new Rabbit(this);
    }

    public static TestWorld create() throws Exception {
        return new TestWorld();
    }

    /**
     * A world for each test of a class, closed after it:
     * {@code @RegisterExtension final TestWorld world = TestWorld.perTest();}.
     */
    public static TestWorld perTest() {
        try {
            return create();
        } catch (Exception e) {
            throw new IllegalStateException("could not create a test world", e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    public FakeOpenAi openAi() {
        return openAi;
    }

    /** Publishes a message to a fresh subscriber of {@code channel} on {@code service}; returns its answer's frames. */
    public List<com.fasterxml.jackson.databind.JsonNode> answer(AssistantStream service, String channel,
                                                                String messageId, String message) throws Exception {
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe(channel);
            return answer(client, channel, messageId, message);
        }
    }

    /** Publishes a message and returns its answer's frames as {@code client}, subscribed to {@code channel}, gets them. */
    public List<com.fasterxml.jackson.databind.JsonNode> answer(WsClient client, String channel, String messageId,
                                                                String message) throws Exception {
        rabbit.publish(channel, messageId, message);
        return client.answer(messageId);
    }

    /** The statuses {@code frames} went through, each once, in order. */
    public static List<String> statuses(List<com.fasterxml.jackson.databind.JsonNode> frames) {
        return frames.stream().map(f -> f.path("status").asText()).distinct().toList();
    }

    public Rabbit rabbit() {
        return rabbit;
    }

    /** The shared Redis, for looking at the world's keys. */
    public RedisCommands<String, String> redis() {
        return keys.redis();
    }

    /**
     * Closes {@code resource} with the world, right after its services (a fake they talk to, say), so a
     * per-test world can own what its settings point at.
     */
    public TestWorld closing(AutoCloseable resource) {
        alsoClosed.add(resource);
        return this;
    }

    /** Overrides one setting by its config key (e.g. {@code stream.batch.chars}). */
    public TestWorld set(String key, String value) {
        values.put(key, value);
        return this;
    }

    public String get(String key) {
        return values.get(key);
    }

    public Config config() {
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(values), ConfigSources.classpath("app.yaml"))
                .build();
    }

    /** The settings as the environment variables that give them to a service process (REDIS_URL, …). */
    public Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>();
        values.forEach((key, value) -> environment.put(key.toUpperCase(Locale.ROOT).replace('.', '_'), value));
        return environment;
    }

    public Settings settings() {
        return Settings.from(config());
    }

    /** Starts one more service instance; the world stops it when closed. */
    public AssistantStream start() throws Exception {
        AssistantStream service = AssistantStream.start(settings());
        services.add(service);
        return service;
    }

    /** Stops an instance before the world ends (to restart it with other settings, say). */
    public void stop(AssistantStream service) {
        services.remove(service);
        service.close();
    }

    public String exchange() {
        return get("exchange.name");
    }

    public String queue() {
        return get("queue.name");
    }

    public String deadLetterQueue() {
        return queue() + "_failed";
    }

    public String routingKey() {
        return get("routing.key");
    }

    public String prefix() {
        return get("redis.prefix");
    }

    public static Duration timeout() {
        return Duration.ofSeconds(20);
    }

    @Override
    public void close() throws Exception {
        try {
            services.forEach(AssistantStream::close);
            for (AutoCloseable resource : alsoClosed) {
                resource.close();
            }
            rabbit.close();
        } finally {
            keys.close();
            openAi.close();
        }
    }
}
