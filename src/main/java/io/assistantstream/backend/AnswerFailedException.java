package io.assistantstream.backend;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The answer cannot be given. {@code summary} is the short text for the error frame's
 * {@code message}; the exception message is the upstream reason for {@code error_details}, so it
 * holds the upstream's own error text and this service's words only, never another exception's
 * message or a secret. When
 * OpenAI refused a request, {@link #upstream()} holds its status and error, for a backend that
 * can recover from a particular refusal (a lost conversation, an active run).
 */
public final class AnswerFailedException extends Exception {
    /** The most of one upstream text (an error message, an event name) quoted in the details. */
    static final int MAX_QUOTED_CHARS = 1000;
    private final String summary;
    private final transient UpstreamError upstream;

    public AnswerFailedException(String summary, String details) {
        this(summary, details, null);
    }

    AnswerFailedException(String summary, String details, UpstreamError upstream) {
        super(details);
        this.summary = summary;
        this.upstream = upstream;
    }

    /** An error answer from OpenAI: the HTTP status and the body's {@code error.code} and {@code error.message}. */
    public record UpstreamError(int status, String code, String message) {
        /** A 404 about the thing the request names (not about the model it asks for). */
        public boolean notFound() {
            return status == 404 && !"model_not_found".equals(code);
        }
    }

    /** A run or response that ended {@code failed} with this error object ({@code code}, {@code message}). */
    public static AnswerFailedException failed(String what, JsonNode error) {
        return new AnswerFailedException("The assistant failed to answer",
                "OpenAI " + what + " failed: " + clipped(error.path("message").asText("no reason given"))
                        + codeOf(error));
    }

    /**
     * An {@code error} event in a stream; its data is the error, possibly wrapped in {@code {"error": …}},
     * or only its text, {@code {"error": "…"}}.
     */
    public static AnswerFailedException streamError(JsonNode data) {
        JsonNode wrapped = data.path("error");
        JsonNode error = wrapped.isObject() ? wrapped : data;
        String message = wrapped.isTextual() ? wrapped.asText() : error.path("message").asText("unknown");
        return new AnswerFailedException("The assistant failed to answer",
                "OpenAI stream error: " + clipped(message) + (wrapped.isTextual() ? "" : codeOf(error)));
    }

    /** A run or response that ended {@code incomplete}, for {@code reason}. */
    public static AnswerFailedException cutShort(String what, String reason) {
        return new AnswerFailedException("The answer was cut short",
                "OpenAI " + what + " incomplete: " + clipped(reason));
    }

    private static String codeOf(JsonNode error) {
        return error.hasNonNull("code") ? " (" + clipped(error.get("code").asText()) + ")" : "";
    }

    /**
     * A text the upstream sent, as the details may quote it: at most {@value #MAX_QUOTED_CHARS}
     * characters, so that an upstream sending megabytes of error text does not send them on to clients.
     */
    public static String clipped(String upstreamText) {
        if (upstreamText == null || upstreamText.length() <= MAX_QUOTED_CHARS) {
            return upstreamText;
        }
        int end = Character.isHighSurrogate(upstreamText.charAt(MAX_QUOTED_CHARS - 1))
                ? MAX_QUOTED_CHARS - 1 : MAX_QUOTED_CHARS;
        return upstreamText.substring(0, end) + "… (" + (upstreamText.length() - end) + " more characters)";
    }

    public String summary() {
        return summary;
    }

    /** Whether OpenAI answered 404 about what the request names (not about the model it asks for). */
    public boolean notFound() {
        return upstream().filter(UpstreamError::notFound).isPresent();
    }

    /** OpenAI's refusal that caused this failure, if it was one. */
    public Optional<UpstreamError> upstream() {
        return Optional.ofNullable(upstream);
    }
}
