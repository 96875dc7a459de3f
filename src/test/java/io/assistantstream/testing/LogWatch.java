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

    private LogWatch(String loggerName) {
        this.logger = Logger.getLogger(loggerName);
        this.level = logger.getLevel();
        logger.addHandler(this);
        logger.setLevel(Level.ALL);
    }

    /** Watches the logger of that name; "" is the root. */
    public static LogWatch of(String loggerName) {
        return new LogWatch(loggerName);
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
        lines.add(record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown()));
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
