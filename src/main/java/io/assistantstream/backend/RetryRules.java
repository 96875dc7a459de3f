package io.assistantstream.backend;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When a failed OpenAI request is sent again, and after how long: the rules of OpenAI's own SDKs.
 * 408, 409, 429 (unless the quota is used up), 5xx and a locked conversation are retried; the
 * server's {@code x-should-retry} overrides that; the pause is the server's {@code retry-after-ms}
 * or {@code Retry-After} (seconds or an HTTP date), else 0.5 s doubling per attempt up to 8 s, less
 * up to a quarter at random so that clients spread out.
 */
final class RetryRules {
    private RetryRules() {
    }

    /** Whether an answer with this status and error {@code code}/{@code type} may be retried. */
    static boolean retryable(int status, String code, String type, Optional<String> shouldRetry) {
        if (shouldRetry.isPresent()) {
            return Boolean.parseBoolean(shouldRetry.get());
        }
        return switch (status) {
            case 408, 409 -> true;
            case 429 -> !"insufficient_quota".equals(code) && !"insufficient_quota".equals(type);
            case 400 -> "conversation_locked".equals(code);
            default -> status >= 500;
        };
    }

    /** The pause the server asked for, in ms, at {@code nowMillis}; empty when it asked none (or nonsense). */
    static Optional<Long> retryAfterMillis(Optional<String> retryAfterMs, Optional<String> retryAfter, long nowMillis) {
        try {
            if (retryAfterMs.isPresent()) {
                return Optional.of((long) Double.parseDouble(retryAfterMs.get()));
            }
            if (retryAfter.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of((long) (Double.parseDouble(retryAfter.get()) * 1000));
            } catch (NumberFormatException e) {
                ZonedDateTime at = ZonedDateTime.parse(retryAfter.get(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Optional.of(Math.max(0, at.toInstant().toEpochMilli() - nowMillis));
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The pause before attempt {@code attempt + 1}, in ms; {@code random} in [0, 1) takes off up to a quarter. */
    static long backoff(int attempt, double random) {
        double seconds = Math.min(0.5 * Math.pow(2, attempt), 8.0);
        return (long) (seconds * 1000 * (1 - 0.25 * random));
    }

    /** What the user is told of an error status. */
    static String summaryFor(int status, String code) {
        if (status == 429) {
            return "insufficient_quota".equals(code) ? "The assistant's quota is used up"
                    : "The assistant is rate limited";
        }
        if (status == 401 || status == 403) {
            return "The assistant rejected the service's credentials";
        }
        return status >= 500 ? "The assistant is unavailable" : "The assistant rejected the request";
    }
}
