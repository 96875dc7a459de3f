package io.assistantstream.backend;

import java.io.IOException;

/**
 * The upstream sent a line or an event longer than {@link SseReader} reads. Not a broken connection:
 * the same request would most likely get the same answer, so it fails the answer at once, without a
 * retry. Its message is the service's own words, fit for clients.
 */
final class OversizedEventException extends IOException {
    OversizedEventException(String message) {
        super(message);
    }
}
