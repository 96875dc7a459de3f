package io.assistantstream.frames;

/**
 * A frame could not be taken for the relay: its buffer was full (the relay has been away for a
 * while), or the relay connection is closed.
 */
public final class RelayUnavailableException extends RuntimeException {
    RelayUnavailableException(String message) {
        super(message);
    }
}
