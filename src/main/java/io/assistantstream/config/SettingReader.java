package io.assistantstream.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.helidon.config.Config;

import io.assistantstream.hub.AllowedOrigins;

/**
 * Reads one typed value at a time from Helidon config and fails naming the environment variable
 * (the user-facing name) when the value is unusable.
 */
final class SettingReader {
    private final Config config;

    SettingReader(Config config) {
        this.config = config;
    }

    /** The environment variable that sets {@code key}, e.g. {@code redis.url} → {@code REDIS_URL}. */
    static String variable(String key) {
        return key.replace('.', '_').toUpperCase(Locale.ROOT).replace("-", "_dash_");
    }

    String text(String key) {
        return config.get(key).asString().orElseThrow(
                () -> new InvalidSettingException(variable(key) + " has no value and no default in app.yaml"));
    }

    String nonBlank(String key) {
        String value = text(key).strip();
        if (value.isEmpty()) {
            throw new InvalidSettingException(variable(key) + " must not be empty");
        }
        return value;
    }

    int integer(String key, int min, int max) {
        long value = longInteger(key, min, max);
        return (int) value;
    }

    long longInteger(String key, long min, long max) {
        String raw = text(key).strip();
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(variable(key) + " must be a whole number, got '" + raw + "'");
        }
        if (value < min || value > max) {
            throw new InvalidSettingException(variable(key) + " must be between " + min + " and " + max
                    + ", got " + value);
        }
        return value;
    }

    URI uri(String key, Set<String> schemes) {
        return uri(key, nonBlank(key), schemes);
    }

    /** One URL or several, separated by commas. */
    List<URI> uris(String key, Set<String> schemes) {
        List<URI> uris = new java.util.ArrayList<>();
        for (String raw : nonBlank(key).split(",(?=\\s*[A-Za-z][A-Za-z0-9+.-]*://)")) { // a password may hold commas
            if (raw.isBlank() || raw.strip().endsWith(",")) {
                throw new InvalidSettingException(variable(key) + " has an empty entry: separate URLs with single commas");
            }
            uris.add(uri(key, raw.strip(), schemes));
        }
        return List.copyOf(uris);
    }

    private URI uri(String key, String raw, Set<String> schemes) {
        try {
            URI uri = new URI(raw);
            if (uri.getScheme() == null || !schemes.contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    || uri.getHost() == null) {
                throw new InvalidSettingException(variable(key) + " must be a URL (" + String.join("|", schemes)
                        + ") with a host, got '" + redacted(uri) + "'");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new InvalidSettingException(variable(key) + " is not a valid URL: " + e.getReason());
        }
    }

    /** The web pages that may open {@code /ws}: a comma-separated list of origins (empty: any). */
    AllowedOrigins origins(String key) {
        try {
            return AllowedOrigins.parse(text(key));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(variable(key) + ": " + e.getMessage());
        }
    }

    /**
     * Fails when {@code key}, a setting that {@code replacement} took over, still has a value.
     * Looks for a value of the node itself: it may have children ({@code replacement} may be one),
     * which is no value.
     *
     * @param why what changed, and how to set the replacement
     */
    void replaced(String key, String replacement, String why) {
        if (config.get(key).asString().isPresent()) {
            throw new InvalidSettingException(variable(key) + " is no longer supported: set " + variable(replacement)
                    + " instead and unset " + variable(key) + " (" + why + ")");
        }
    }

    /** A duration in Helidon's form (ISO-8601, e.g. {@code PT5M}), {@code fallback} when unset. */
    Duration duration(String key, Duration fallback) {
        Duration value;
        try {
            value = config.get(key).as(Duration.class).orElse(fallback);
        } catch (io.helidon.config.ConfigException e) {
            throw new InvalidSettingException(variable(key) + " must be a duration such as PT5M, got '"
                    + config.get(key).asString().orElse("") + "'");
        }
        if (value.isNegative() || value.isZero()) {
            throw new InvalidSettingException(variable(key) + " must be positive, got " + value);
        }
        return value;
    }

    /** One of {@code type}'s constants, written in any case ({@code relay}, {@code RELAY}). */
    <E extends Enum<E>> E oneOf(String key, Class<E> type) {
        Set<String> names = new java.util.TreeSet<>();
        for (E constant : type.getEnumConstants()) {
            names.add(constant.name().toLowerCase(Locale.ROOT));
        }
        return Enum.valueOf(type, oneOf(key, names).toUpperCase(Locale.ROOT));
    }

    String oneOf(String key, Set<String> allowed) {
        String value = nonBlank(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(value)) {
            throw new InvalidSettingException(variable(key) + " must be one of " + allowed + ", got '" + value + "'");
        }
        return value;
    }

    /** {@code true} or {@code false}, in any case. */
    boolean bool(String key) {
        return oneOf(key, Set.of("true", "false")).equals("true");
    }

    /** A URL as it may be shown in a log or an error: with any user-info (passwords) masked. */
    static String redacted(String url) {
        return url.replaceAll("//[^/]*@", "//***@");
    }

    static String redacted(URI uri) {
        return redacted(uri.toString());
    }
}
