package io.assistantstream.web;

import java.util.Map;

import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /client.js}: the browser client for frontends, an ES module. Any origin may load it
 * ({@code Access-Control-Allow-Origin: *}): a module script from another origin needs that header,
 * and the file is the same public code for everyone, sent without cookies or credentials.
 */
public final class ClientScript implements Handler {
    private final WebFile file = WebFile.load("client.js", "text/javascript; charset=utf-8",
            Map.of("Access-Control-Allow-Origin", "*"));

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        file.send(req, res);
    }
}
