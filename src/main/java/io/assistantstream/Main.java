package io.assistantstream;

import java.io.Console;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;

import io.assistantstream.cli.Cli;
import io.assistantstream.config.InvalidSettingException;
import io.assistantstream.config.Settings;

/**
 * Starts the service ({@code java -jar assistant-stream.jar}), or, given options, runs one command
 * of the {@link Cli command line} and exits with its code.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            Logger.getLogger("").setLevel(Level.WARNING); // a command's output is its own; the service's log is noise
            Console console = System.console();
            System.exit(Cli.run(loadConfig(), args, System.in,
                    new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)),
                    new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8)),
                    console != null && console.isTerminal()));
        }
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
