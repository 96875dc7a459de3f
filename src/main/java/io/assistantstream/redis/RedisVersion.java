package io.assistantstream.redis;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version of the Redis server, checked once at start: the frame log needs Redis 7.0 (streams
 * that record the newest entry they deleted, {@code XSETID … MAXDELETEDID}), and an older server
 * would fail every frame with an error that names neither.
 */
public final class RedisVersion {
    private static final Pattern VERSION = Pattern.compile("(?m)^redis_version:(\\d+)\\.(\\d+)");
    /** The oldest Redis the service runs on. */
    public static final int MAJOR = 7;

    private RedisVersion() {
    }

    /**
     * @param serverInfo what {@code INFO server} answered
     * @throws IllegalStateException naming the version found, when it is older than {@value #MAJOR}.0
     *                               (a server that does not say is let through)
     */
    public static void require(String serverInfo) {
        Matcher version = VERSION.matcher(serverInfo);
        if (version.find() && Integer.parseInt(version.group(1)) < MAJOR) {
            throw new IllegalStateException("Redis " + version.group(1) + "." + version.group(2) + " at REDIS_URL is too"
                    + " old: assistant-stream needs Redis " + MAJOR + ".0 or later (its frame log uses Redis 7 streams)");
        }
    }
}
