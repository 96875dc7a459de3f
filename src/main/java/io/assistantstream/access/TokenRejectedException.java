package io.assistantstream.access;

/**
 * A token that grants nothing: {@link #code} is what the client is told ({@code token_expired} or
 * {@code invalid_token}); the message says why in words and never repeats the token.
 */
public final class TokenRejectedException extends RuntimeException {
    /** The token's {@code exp} has passed. */
    public static final String EXPIRED = "token_expired";
    /** Malformed, badly signed, for another audience or issuer, or without the claims it needs. */
    public static final String INVALID = "invalid_token";

    private final String code;

    TokenRejectedException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
