package io.assistantstream.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * One file of the jar's {@code web/} folder, read once, sent with its content type, its
 * {@code ETag} (answered {@code 304} when the browser has it already) and {@code headers}.
 */
record WebFile(String name, byte[] body, String contentType, String etag, Map<String, String> headers) {
    /** Reads {@code web/<name>} from the jar; a missing file fails the start, naming it. */
    static WebFile load(String name, String contentType, Map<String, String> headers) {
        try (InputStream in = WebFile.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("web/" + name + " is missing from the jar: rebuild it with mvn package");
            }
            byte[] body = in.readAllBytes();
            return new WebFile(name, body, contentType, etag(body), Map.copyOf(headers));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read web/" + name + " from the jar", e);
        }
    }

    void send(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.ETAG, etag);
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header("X-Content-Type-Options", "nosniff");
        headers.forEach(res::header);
        if (cached(req.headers().first(HeaderNames.IF_NONE_MATCH).orElse(""))) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.send(body);
    }

    /** Whether {@code If-None-Match} names this version (weak forms included, as RFC 9110 compares for GET). */
    private boolean cached(String ifNoneMatch) {
        for (String tag : ifNoneMatch.split(",")) {
            String strong = tag.strip().startsWith("W/") ? tag.strip().substring(2) : tag.strip();
            if (strong.equals(etag) || strong.equals("*")) {
                return true;
            }
        }
        return false;
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
