package io.assistantstream.hub;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import io.helidon.http.DirectHandler;
import io.helidon.http.Headers;
import io.helidon.http.RequestException;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnectionSelector;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsUpgrader;

/**
 * The WebSocket handshake of {@code /ws}, with the service's own decision on the browser's
 * {@code Origin} ({@link AllowedOrigins}); everything else is Helidon's upgrade.
 *
 * <p>Why its own: Helidon 4.5's {@code WsUpgrader} either matches a configured set of origins
 * exactly or, with none configured, lets in only pages of the server's own origin, so every page
 * of a team's app (served from another origin) was refused with 403 and no configuration could say
 * "any origin" or "every subdomain". Its {@code validateOrigin} is the documented hook, so this
 * class overrides just that, and the server gets it through an HTTP/1 connection selector of its
 * own ({@link #selector}) instead of the one found by service loading.
 */
public final class OriginCheckingUpgrader extends WsUpgrader {
    private static final Logger LOG = Logger.getLogger(OriginCheckingUpgrader.class.getName());
    /** Origins already logged as refused; bounded so a flood of made-up origins cannot grow it. */
    private static final int LOGGED_ORIGINS = 1000;

    private final AllowedOrigins allowed;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    private OriginCheckingUpgrader(AllowedOrigins allowed) {
        super(WsConfig.create());
        this.allowed = allowed;
    }

    /**
     * The HTTP/1 connection handling of a listener whose WebSocket upgrades check origins against
     * {@code allowed}; {@code http1} is the listener's HTTP/1 configuration.
     */
    public static ServerConnectionSelector selector(AllowedOrigins allowed, Http1Config http1) {
        return Http1ConnectionSelector.builder()
                .config(http1)
                .addUpgrader(new OriginCheckingUpgrader(allowed))
                .build();
    }

    @Override
    protected void validateOrigin(Headers headers, String origin) {
        if (allowed.allows(origin)) {
            return;
        }
        if (logged.size() < LOGGED_ORIGINS && logged.add(origin)) {
            LOG.info("Refused a WebSocket handshake from origin " + origin + ": it is not in WEBSOCKET_ALLOWED_ORIGINS ("
                    + allowed + ")");
        }
        throw RequestException.builder()
                .type(DirectHandler.EventType.FORBIDDEN)
                .message("This origin may not open /ws: add it to WEBSOCKET_ALLOWED_ORIGINS")
                .safeMessage(true) // it names only the setting, so the response may say it
                .build();
    }
}
