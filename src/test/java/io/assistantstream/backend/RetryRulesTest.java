package io.assistantstream.backend;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RetryRulesTest {
    @ParameterizedTest(name = "{0} {1} {2} x-should-retry={3}: {4}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "408 | -                   | -                   | -     | true",
            "409 | -                   | -                   | -     | true",
            "429 | rate_limit_exceeded | requests            | -     | true",
            "429 | insufficient_quota  | -                   | -     | false",
            "429 | -                   | insufficient_quota  | -     | false",
            "400 | conversation_locked | invalid_request     | -     | true",
            "400 | invalid_value       | invalid_request     | -     | false",
            "401 | invalid_api_key     | -                   | -     | false",
            "404 | -                   | -                   | -     | false",
            "500 | -                   | -                   | -     | true",
            "503 | -                   | -                   | -     | true",
            "503 | -                   | -                   | false | false",
            "404 | -                   | -                   | true  | true"})
    void an_error_status_is_retried_as_the_sdks_retry_it(int status, String code, String type, String shouldRetry,
                                                        boolean retried) {
        assertEquals(retried, RetryRules.retryable(status, code == null ? "" : code, type == null ? "" : type,
                Optional.ofNullable(shouldRetry)));
    }

    @ParameterizedTest(name = "retry-after-ms={0} Retry-After={1}: {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "1500  | 30                            | 1500",
            "-     | 2                             | 2000",
            "-     | 0.25                          | 250",
            "-     | Sun, 06 Dec 2026 08:00:05 GMT | 5000",
            "-     | Sun, 06 Dec 2026 07:59:00 GMT | 0",
            "-     | soon                          | -",
            "lots  | -                             | -",
            "-     | -                             | -"})
    void the_pause_is_the_one_the_server_asked_for(String retryAfterMs, String retryAfter, Long millis) {
        long now = java.time.Instant.parse("2026-12-06T08:00:00Z").toEpochMilli();
        assertEquals(Optional.ofNullable(millis),
                RetryRules.retryAfterMillis(Optional.ofNullable(retryAfterMs), Optional.ofNullable(retryAfter), now));
    }

    @Test
    void without_one_the_pause_doubles_from_half_a_second_up_to_eight_less_a_random_quarter() {
        assertEquals(500, RetryRules.backoff(0, 0));
        assertEquals(1000, RetryRules.backoff(1, 0));
        assertEquals(8000, RetryRules.backoff(4, 0));
        assertEquals(8000, RetryRules.backoff(10, 0));
        assertEquals(375, RetryRules.backoff(0, 0.999_999_9), 1);
    }

    @Test
    void the_user_is_told_what_an_error_status_means() {
        assertEquals("The assistant's quota is used up", RetryRules.summaryFor(429, "insufficient_quota"));
        assertEquals("The assistant is rate limited", RetryRules.summaryFor(429, "rate_limit_exceeded"));
        assertEquals("The assistant rejected the service's credentials", RetryRules.summaryFor(401, ""));
        assertEquals("The assistant is unavailable", RetryRules.summaryFor(503, ""));
        assertEquals("The assistant rejected the request", RetryRules.summaryFor(400, "invalid_value"));
    }
}
