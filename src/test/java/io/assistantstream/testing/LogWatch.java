package io.assistantstream.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** What one logger (and the loggers below it) records while the watch is open, every level included. */
public final class LogWatch extends Handler implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> severe = new CopyOnWriteArrayList<>();

    private LogWatch(String loggerName, Level from) {
        this.logger = Logger.getLogger(loggerName);
        this.level = logger.getLevel();
        logger.addHandler(this);
        logger.setLevel(from);
    }

    /** Watches the logger of that name; "" is the root. */
    public static LogWatch of(String loggerName) {
        return new LogWatch(loggerName, Level.ALL);
    }

    /** Watches the records of {@code from} and above only (the logger's level is set to it meanwhile). */
    public static LogWatch of(String loggerName, Level from) {
        return new LogWatch(loggerName, from);
    }

    /** Each record's message, followed by its exception when it has one. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    public long count(String fragment) {
        return lines.stream().filter(line -> line.contains(fragment)).count();
    }

    /** Waits until a record containing {@code fragment} was logged; false if none came in time. */
    public boolean await(String fragment, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (count(fragment) == 0) {
            if (System.nanoTime() > until) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public void publish(LogRecord record) {
        String line = record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown());
        lines.add(line);
        if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
            severe.add(line);
        }
    }

    /** The records logged at SEVERE (or above). */
    public List<String> severe() {
        return List.copyOf(severe);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(level);
    }
}
