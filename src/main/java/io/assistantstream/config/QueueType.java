package io.assistantstream.config;

import java.util.Locale;

/** The kind of input queue the service declares ({@code QUEUE_TYPE}). */
public enum QueueType {
    /** A classic queue with the predecessor's arguments (priorities, a message TTL): the default. */
    CLASSIC,
    /**
     * A quorum queue, replicated over the broker's cluster: it survives a broker's loss, and
     * {@code x-delivery-limit} dead-letters a message redelivered too often. It refuses priorities.
     */
    QUORUM;

    /** The name in {@code QUEUE_TYPE}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
