package io.assistantstream.steering;

import java.util.Locale;

/**
 * What a message does when it arrives while its channel has another message in flight
 * ({@code MULTITASK_POLICY}, or the message's own {@code multitask} field).
 */
public enum MultitaskPolicy {
    /** Waits its turn: answered after the ones before it, in order (the predecessor's behaviour). */
    ENQUEUE,
    /** Ends at once with an {@code error} frame, {@code error_code: "channel_busy"}; acknowledged. */
    REJECT,
    /** Cancels the ones before it (they end {@code cancelled}), then is answered right after them. */
    INTERRUPT;

    /** The policy a setting or a message names ({@code enqueue}, {@code reject}, {@code interrupt}). */
    public static MultitaskPolicy ofWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
