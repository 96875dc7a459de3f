package io.assistantstream.config;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * A URL as it may be written to a log or shown to a client: without its user-info (a name and
 * password or a key, as in {@code https://user:secret@host/v1}), its query (where some services take
 * their key, {@code ?appid=…}) and its fragment. Scheme, host, port and path stay, so the address is
 * still recognisable.
 */
public final class RedactedUri {
    /**
     * A scheme and {@code //}, then a user-info up to the last {@code @} before the text's next blank
     * or quote. Greedy on purpose: a password written out undecoded may itself hold {@code @} or
     * {@code /}, and cutting a little too much from an error text costs less than leaving a secret.
     */
    private static final Pattern USER_INFO_IN_TEXT = Pattern.compile("\\b([A-Za-z][A-Za-z0-9+.-]*://)[^\\s\"'<>]*@");

    private RedactedUri() {
    }

    /** {@code uri} without user-info, query and fragment; null stays null. */
    public static URI of(URI uri) {
        if (uri == null) {
            return null;
        }
        if (uri.isOpaque()) { // "scheme:anything": no host to keep, and anything may be a secret
            return URI.create(uri.getScheme() + ":***");
        }
        StringBuilder kept = new StringBuilder();
        if (uri.getScheme() != null) {
            kept.append(uri.getScheme()).append(':');
        }
        String authority = uri.getRawAuthority();
        if (authority != null) {
            kept.append("//").append(authority, authority.lastIndexOf('@') + 1, authority.length());
        }
        if (uri.getRawPath() != null) {
            kept.append(uri.getRawPath());
        }
        return URI.create(kept.toString());
    }

    /**
     * {@code text} with the user-info of every URL in it removed ({@code https://user:secret@host}
     * becomes {@code https://host}): the last safeguard for a text about to leave the service, such
     * as an error frame's details.
     */
    public static String inText(String text) {
        return text == null || !text.contains("@") ? text : USER_INFO_IN_TEXT.matcher(text).replaceAll("$1");
    }
}
