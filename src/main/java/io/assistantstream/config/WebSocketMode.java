package io.assistantstream.config;

import java.util.Locale;

/** Where frames go ({@code WEBSOCKET_MODE}). */
public enum WebSocketMode {
    /** The service serves {@code /ws} to clients itself (the default). */
    EMBEDDED,
    /** The service sends frames to an external relay at {@code WEBSOCKET_URL}, as its predecessor did. */
    RELAY;

    /** The name in {@code WEBSOCKET_MODE}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
