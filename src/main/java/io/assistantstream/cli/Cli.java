package io.assistantstream.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;

import io.helidon.config.Config;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import io.assistantstream.AssistantStream;
import io.assistantstream.admin.ConversationAdmin;
import io.assistantstream.admin.ConversationStats;
import io.assistantstream.config.InvalidSettingException;
import io.assistantstream.config.Settings;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.redis.RedisDeployment;

/**
 * The command line of the jar (the seed's flags): with no arguments the jar runs the service; with
 * one of these it does that one thing and exits 0 (done), 1 (failed, refused or timed out) or 2
 * (usage). Settings come from the same {@code app.yaml} and environment variables as the service's;
 * the thread commands need only Redis's.
 */
@Command(name = "assistant-stream", mixinStandardHelpOptions = true, version = "assistant-stream",
        sortOptions = false, usageHelpAutoWidth = true, separator = " ",
        description = "Without options: runs the service. With one of these: does that and exits.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:failed, refused, or no answer in time", "2:usage error"})
public final class Cli implements Callable<Integer> {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @ArgGroup(multiplicity = "1")
    private Action action;

    @Option(names = "--json", description = "Print JSON: the raw frames of --test-message, the figures of "
            + "--show-thread-stats.")
    private boolean json;

    @Option(names = "--yes", description = "Delete without asking (for scripts).")
    private boolean yes;

    /** Exactly one action per run. */
    static final class Action {
        @Option(names = "--test-message", arity = "2", paramLabel = "CHANNEL TEXT", hideParamSyntax = true,
                description = "Send TEXT on CHANNEL and print the answer as it streams.")
        private String[] testMessage;

        @Option(names = "--generate-uuid", description = "Map a new UUID channel to a new conversation and print both.")
        private boolean generateUuid;

        @Option(names = "--show-thread-stats", description = "Print statistics about the channel mappings.")
        private boolean showThreadStats;

        @Option(names = "--clear-all-threads", description = "Delete every channel mapping (the assistant id is kept).")
        private boolean clearAllThreads;

        private Integer clearOldThreads;
        @Spec
        private CommandSpec spec;

        @Option(names = "--clear-old-threads", paramLabel = "DAYS",
                description = "Delete the mappings whose last message is older than DAYS days.")
        void clearOldThreads(int days) {
            if (days < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--clear-old-threads needs a number of days of 0 or more, got " + days);
            }
            clearOldThreads = days;
        }
    }

    private final Config config;
    private final BufferedReader in;
    private final boolean terminal;
    private PrintWriter out;
    private PrintWriter err;

    private Cli(Config config, InputStream in, boolean terminal) {
        this.config = config;
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.terminal = terminal;
    }

    /**
     * Runs one command line and returns its exit code.
     *
     * @param terminal whether a person can answer a confirmation on {@code in}
     */
    public static int run(Config config, String[] args, InputStream in, PrintWriter out, PrintWriter err,
                          boolean terminal) {
        Cli cli = new Cli(config, in, terminal);
        cli.out = out;
        cli.err = err;
        CommandLine line = new CommandLine(cli).setOut(out).setErr(err)
                .setExecutionExceptionHandler((e, command, parsed) -> {
                    command.getErr().println("assistant-stream: " + (e instanceof InvalidSettingException
                            ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage()));
                    return CommandLine.ExitCode.SOFTWARE;
                });
        int code = line.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public Integer call() throws Exception {
        if (action.testMessage != null) {
            return new TestMessage(Settings.from(config), out, err, json).run(action.testMessage[0],
                    action.testMessage[1]);
        }
        if (action.generateUuid) {
            return generateUuid();
        }
        Settings.Redis redis = Settings.redisFrom(config);
        try (RedisDeployment deployment = AssistantStream.redisOf(redis, null);
             RedisConnection<String, String> connection = deployment.connect()) {
            ConversationAdmin threads = new ConversationAdmin(connection, deployment.keys(), Clock.systemUTC());
            if (action.showThreadStats) {
                return showStats(threads.stats());
            }
            return clear(threads, action.clearAllThreads ? null : Duration.ofDays(action.clearOldThreads));
        }
    }

    private int generateUuid() throws Exception {
        String channel = UUID.randomUUID().toString();
        String conversation = AssistantStream.newConversation(Settings.from(config), channel);
        out.println("Channel:      " + channel);
        out.println("Conversation: " + conversation);
        out.println();
        out.println("Try it:");
        out.println("  java -jar assistant-stream.jar --test-message " + channel + " \"Hello, assistant!\"");
        return 0;
    }

    private int showStats(ConversationStats stats) throws IOException {
        if (json) {
            out.println(ConversationAdmin.JSON.writeValueAsString(stats));
            return 0;
        }
        out.printf(Locale.ROOT, "Threads: %,d%n", stats.threads());
        out.println("By last message:");
        for (ConversationStats.AgeBucket bucket : stats.ages()) {
            out.printf(Locale.ROOT, "  %-11s %,9d  %5.1f%%%n", bucket.label(), bucket.threads(), bucket.percent());
        }
        out.printf(Locale.ROOT, "Messages: %,d (%.1f per thread)%n", stats.messages(), stats.averageMessages());
        if (stats.mostActive() != null) {
            out.printf(Locale.ROOT, "Most active channel: %s (%,d messages)%n", stats.mostActive().channel(),
                    stats.mostActive().messages());
        }
        if (stats.oldest() != null) {
            out.println("Oldest conversation: " + stats.oldest().channel() + ", started " + when(stats.oldest()));
            out.println("Newest conversation: " + stats.newest().channel() + ", started " + when(stats.newest()));
        }
        out.printf(Locale.ROOT, "Storage in Redis: %,.1f KiB%n", stats.storageBytes() / 1024.0);
        return 0;
    }

    private static String when(ConversationStats.Channel channel) {
        return WHEN.format(Instant.ofEpochMilli(new BigDecimal(channel.createdAt()).movePointRight(3).longValue()));
    }

    /** Deletes all mappings ({@code age} null) or the old ones, once confirmed. */
    private int clear(ConversationAdmin threads, Duration age) throws IOException {
        ConversationAdmin.Preview preview = threads.preview(age);
        String which = age == null ? "every channel mapping" : "the mappings with no message in the last "
                + age.toDays() + " days";
        if (preview.count() == 0 && age != null) {
            out.println("Nothing to delete: no mapping is older than " + age.toDays() + " days.");
            return 0;
        }
        out.printf(Locale.ROOT, "This deletes %s: about %,d, e.g. %s. The assistant id is kept.%n", which,
                preview.count(), preview.sample().isEmpty() ? "(none in the index)" : String.join(", ", preview.sample()));
        if (!yes) {
            if (!terminal) {
                err.println("Refusing to delete without confirmation: there is no terminal to ask on. Add --yes.");
                return CommandLine.ExitCode.USAGE;
            }
            out.print("Type DELETE to confirm: ");
            out.flush();
            String answer = in.readLine();
            if (!"DELETE".equals(answer == null ? null : answer.strip())) {
                out.println("Cancelled: nothing was deleted.");
                return 1;
            }
        }
        long deleted = age == null ? threads.deleteAll() : threads.deleteOlderThan(age);
        out.printf(Locale.ROOT, "Deleted %,d channel mappings.%n", deleted);
        return 0;
    }
}
