package io.assistantstream;

import java.time.Duration;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;

import io.assistantstream.config.InvalidSettingException;
import io.assistantstream.config.Settings;

/** Starts the service: {@code java -jar assistant-stream.jar}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Settings settings;
        try {
            settings = Settings.from(loadConfig());
        } catch (InvalidSettingException e) {
            System.err.println("assistant-stream: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            AssistantStream service = AssistantStream.start(settings);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> service.stop(Duration.ofSeconds(30))));
        } catch (Exception e) {
            System.err.println("assistant-stream: could not start: " + e.getMessage());
            System.exit(1);
        }
    }

    /** app.yaml defaults, with environment variables and then system properties on top. */
    public static Config loadConfig() {
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.environmentVariables(),
                        ConfigSources.systemProperties(),
                        ConfigSources.classpath("app.yaml"))
                .build();
    }
}
