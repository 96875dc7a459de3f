package io.assistantstream.lease;

/** The channel stayed busy for longer than the caller was willing to wait. */
public final class LeaseUnavailableException extends Exception {
    LeaseUnavailableException(String message) {
        super(message);
    }
}
