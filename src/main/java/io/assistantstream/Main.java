package io.assistantstream;

import java.io.Console;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import io.helidon.service.registry.Services;
import sun.misc.Signal;

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
        Config config = loadConfig();
        Settings settings;
        try {
            settings = Settings.from(config);
        } catch (InvalidSettingException e) {
            System.err.println("assistant-stream: " + e.getMessage());
            System.exit(1);
            return;
        }
        Logger.getLogger("").setLevel(settings.logLevel());
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            handler.setLevel(settings.logLevel());
        }
        Services.set(Config.class, config); // Helidon's own settings (the metrics' names) come from app.yaml too
        try {
            AssistantStream service = AssistantStream.start(settings);
            stopGracefullyOn(service, settings.shutdownGrace(), "TERM", "INT");
        } catch (Exception e) {
            System.err.println("assistant-stream: could not start: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * On these signals: stop taking deliveries, let answers in flight finish within {@code grace}
     * (the rest go back to the queue), close WebSockets with 1001, and exit 0. A shutdown hook
     * could do the same, but the JVM would then exit 143 after SIGTERM, which orchestrators read
     * as a failure.
     */
    private static void stopGracefullyOn(AssistantStream service, Duration grace, String... signals) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : signals) {
            Signal.handle(new Signal(name), signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    return; // a second signal while stopping: the first one's stop goes on
                }
                Logger.getLogger(Main.class.getName()).info("SIG" + name + ": stopping; answers in flight have "
                        + grace.toMillis() + " ms to finish");
                service.stop(grace);
                Logger.getLogger(Main.class.getName()).info("Stopped");
                System.exit(0);
            });
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
