package io.assistantstream.testing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import io.assistantstream.AssistantStream;
import io.assistantstream.config.Settings;
import io.assistantstream.fake.FakeOpenAi;

/**
 * The settings of one isolated test world: its own exchange, queues and Redis prefix (random
 * suffix), pointed at a fake OpenAI and the machine's real Redis and RabbitMQ. Starts as many
 * service instances on it as a test needs, on random ports.
 */
public final class TestService {
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> values = new HashMap<>();

    public TestService(FakeOpenAi openAi) {
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
    }

    /** Overrides one setting by its config key (e.g. {@code stream.batch.chars}). */
    public TestService set(String key, String value) {
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

    public Settings settings() {
        return Settings.from(config());
    }

    public AssistantStream start() throws Exception {
        return AssistantStream.start(settings());
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
}
