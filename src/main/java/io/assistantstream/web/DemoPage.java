package io.assistantstream.web;

import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The page to try the service: {@code GET /} and its script and style under {@code /page/}, plus
 * {@code GET /page/settings.json?origin=…}, which tells the page what it cannot find out alone:
 * <pre>
 * {"tokens_required": bool,   WEBSOCKET_AUTH=jwt: it needs a channel token to read a channel
 *  "tokens_minted": bool,     POST /admin/tokens mints them here (WEBSOCKET_JWT_SECRET is set)
 *  "admin": "here" | "management_port" | "disabled",   where POST /admin/messages is
 *  "origin_allowed": bool}    whether a page from that origin may open /ws (WEBSOCKET_ALLOWED_ORIGINS)
 * </pre>
 * None of it is secret: each is what a client learns from the first refusal anyway (401, 404, 403),
 * said in advance so the page can tell its user what to change instead of failing silently.
 */
public final class DemoPage implements HttpService {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Its own files only; no inline script, no framing (it holds the admin token typed into it), no referrer. */
    private static final Map<String, String> HTML_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:;"
                    + " frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            "Referrer-Policy", "no-referrer");

    /** Where the {@code /admin} routes the page sends through are. */
    public enum Admin {
        HERE, MANAGEMENT_PORT, DISABLED
    }

    private final WebFile html = WebFile.load("page/index.html", "text/html; charset=utf-8", HTML_HEADERS);
    private final WebFile script = WebFile.load("page/page.js", "text/javascript; charset=utf-8", Map.of());
    private final WebFile style = WebFile.load("page/page.css", "text/css; charset=utf-8", Map.of());
    private final boolean tokensRequired;
    private final boolean tokensMinted;
    private final Admin admin;
    private final Predicate<String> allowedOrigin;

    /**
     * @param allowedOrigin whether a handshake with this {@code Origin} may open {@code /ws}
     */
    public DemoPage(boolean tokensRequired, boolean tokensMinted, Admin admin, Predicate<String> allowedOrigin) {
        this.tokensRequired = tokensRequired;
        this.tokensMinted = tokensMinted;
        this.admin = admin;
        this.allowedOrigin = allowedOrigin;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", (req, res) -> html.send(req, res))
                .get("/page/page.js", (req, res) -> script.send(req, res))
                .get("/page/page.css", (req, res) -> style.send(req, res))
                .get("/page/settings.json", this::settings);
    }

    private void settings(ServerRequest req, ServerResponse res) throws Exception {
        String origin = req.query().first("origin").orElse("");
        Map<String, Object> settings = Map.of("tokens_required", tokensRequired, "tokens_minted", tokensMinted,
                "admin", admin.name().toLowerCase(java.util.Locale.ROOT),
                "origin_allowed", !origin.isEmpty() && allowedOrigin.test(origin));
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(JSON.writeValueAsBytes(settings));
    }
}
