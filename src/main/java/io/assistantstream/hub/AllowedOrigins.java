package io.assistantstream.hub;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which web pages may open {@code /ws}: the browser's {@code Origin} header of the handshake against
 * {@code WEBSOCKET_ALLOWED_ORIGINS}.
 *
 * <ul>
 *     <li>An empty list (the default) or {@code *} lets every origin in, as the predecessor did.</li>
 *     <li>Otherwise an entry is an origin, {@code scheme://host[:port]}, compared after the usual
 *     normalisation (case, default port, a trailing slash); {@code scheme://*.example.com} stands for
 *     every subdomain of {@code example.com} (not the domain itself); {@code null} lets in the opaque
 *     origin of sandboxed frames and {@code file:} pages.</li>
 *     <li>With a list, the service's own pages need their origin listed too: trusting an origin
 *     because it matches the {@code Host} header would let a DNS-rebinding page in, as the page
 *     controls both.</li>
 *     <li>A handshake without {@code Origin} does not come from a browser page; the header protects
 *     browsers' users only, so such a client is let in.</li>
 * </ul>
 */
public final class AllowedOrigins {
    private final boolean any;
    private final List<String> exact;
    private final List<Subdomains> subdomains;

    /** A wildcard entry, {@code scheme://*.domain[:port]}: the part before the star and the part after it. */
    private record Subdomains(String scheme, String domain) {
        boolean match(String origin) {
            return origin.startsWith(scheme) && origin.endsWith(domain)
                    && origin.length() > scheme.length() + domain.length();
        }

        @Override
        public String toString() {
            return scheme + "*" + domain;
        }
    }

    private AllowedOrigins(boolean any, List<String> exact, List<Subdomains> subdomains) {
        this.any = any;
        this.exact = List.copyOf(exact);
        this.subdomains = List.copyOf(subdomains);
    }

    /**
     * Reads a comma-separated list.
     *
     * @throws IllegalArgumentException naming the entry that is not an origin
     */
    public static AllowedOrigins parse(String list) {
        boolean any = list.isBlank();
        List<String> exact = new ArrayList<>();
        List<Subdomains> subdomains = new ArrayList<>();
        for (String raw : list.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                any = true;
            } else if (entry.equalsIgnoreCase("null")) {
                exact.add("null");
            } else {
                String origin = normalize(entry);
                if (origin == null) {
                    throw new IllegalArgumentException("'" + entry + "' is not an origin: write scheme://host[:port],"
                            + " e.g. https://app.example.com or http://localhost:3000, with no path");
                }
                int wildcard = origin.indexOf("://*.");
                if (wildcard < 0) {
                    exact.add(origin);
                } else {
                    subdomains.add(new Subdomains(origin.substring(0, wildcard + 3), origin.substring(wildcard + 4)));
                }
            }
        }
        return new AllowedOrigins(any, exact, subdomains);
    }

    /** Whether every origin may connect (the start-up log says so). */
    public boolean any() {
        return any;
    }

    /** Whether a handshake with this {@code Origin} header may open {@code /ws}. */
    public boolean allows(String origin) {
        if (any) {
            return true;
        }
        String normalized = origin.strip().equalsIgnoreCase("null") ? "null" : normalize(origin);
        if (normalized == null || normalized.contains("://*.")) { // a browser never sends a wildcard
            return false;
        }
        return exact.contains(normalized) || subdomains.stream().anyMatch(wildcard -> wildcard.match(normalized));
    }

    /**
     * {@code scheme://host[:port]} in lower case, without a default port or a trailing slash; null
     * when {@code text} is not such an origin (a path, a query, user info or no host).
     */
    static String normalize(String text) {
        String trimmed = text.strip();
        if (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        boolean wildcard = trimmed.contains("://*.");
        URI uri;
        try {
            uri = new URI(wildcard ? trimmed.replace("://*.", "://wildcard.") : trimmed);
        } catch (URISyntaxException e) {
            return null;
        }
        if (uri.getScheme() == null || uri.getHost() == null || uri.getRawUserInfo() != null
                || !uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return null;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (wildcard) {
            host = "*" + host.substring("wildcard".length());
        }
        int port = uri.getPort();
        boolean defaultPort = port < 0 || (port == 80 && scheme.equals("http")) || (port == 443 && scheme.equals("https"));
        return scheme + "://" + host + (defaultPort ? "" : ":" + port);
    }

    @Override
    public String toString() {
        if (any) {
            return "any origin";
        }
        List<String> all = new ArrayList<>(exact);
        subdomains.forEach(wildcard -> all.add(wildcard.toString()));
        return String.join(",", all);
    }
}
