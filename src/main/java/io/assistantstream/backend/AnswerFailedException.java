package io.assistantstream.backend;

/**
 * The answer cannot be given. {@code summary} is the short text for the error frame's
 * {@code message}; the exception message is the upstream reason for {@code error_details}.
 */
public final class AnswerFailedException extends Exception {
    private final String summary;

    public AnswerFailedException(String summary, String details) {
        super(details);
        this.summary = summary;
    }

    public String summary() {
        return summary;
    }
}
