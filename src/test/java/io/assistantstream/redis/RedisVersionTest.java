package io.assistantstream.redis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisVersionTest {
    private static String info(String version) {
        return "# Server\r\nredis_version:" + version + "\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n";
    }

    @Test
    void redis_7_and_later_are_accepted() {
        assertDoesNotThrow(() -> RedisVersion.require(info("7.0.15")));
        assertDoesNotThrow(() -> RedisVersion.require(info("8.2.1")));
    }

    @Test
    void an_older_redis_stops_the_start_naming_the_version_found_and_the_one_needed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisVersion.require(info("6.2.14")));
        assertTrue(e.getMessage().startsWith("Redis 6.2 at REDIS_URL is too old: assistant-stream needs Redis 7.0"),
                e.getMessage());
    }
}
