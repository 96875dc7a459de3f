package io.assistantstream.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How the service names its Redis keys: every key starts with the prefix ({@code REDIS_PREFIX});
 * a key of one channel then names its kind and the channel ({@code {prefix}log:{channel}}).
 *
 * <p>On a Redis Cluster every key of one channel must live in one slot, so that the channel's Lua
 * scripts, which touch several of its keys at once, run on one node: there the channel is written
 * as a hash tag, {@code {channel}} (Redis hashes only what is between the first braces). A channel
 * holding a {@code }} would end its tag early, so such a channel is written as a tag derived from it
 * followed by the channel itself: {@code {#3fa1…}channel}. On one Redis the channel is written as it
 * is, the names the service has always used, so existing data still reads.
 *
 * @param prefix  what every key starts with; in a cluster it holds no brace, or it would be the tag
 * @param cluster whether keys are spread over a Redis Cluster
 */
public record KeySpace(String prefix, boolean cluster) {
    public KeySpace {
        if (cluster && (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0)) {
            throw new IllegalArgumentException("a cluster's key prefix holds no brace: " + prefix);
        }
    }

    /** Keys named as on one Redis. */
    public static KeySpace standalone(String prefix) {
        return new KeySpace(prefix, false);
    }

    /** A key of the whole service: {@code {prefix}{name}}. */
    public String global(String name) {
        return prefix + name;
    }

    /** A key of one channel: {@code {prefix}{kind}{channel}}, {@code kind} ending in its separator ({@code "log:"}). */
    public String of(String kind, String channel) {
        return prefix + kind + channel(channel);
    }

    /**
     * A key of one message of a channel: {@code {prefix}{kind}{length}:{channel}:{messageId}}; the
     * length makes the name unambiguous whatever the channel holds.
     */
    public String of(String kind, String channel, String messageId) {
        String written = channel(channel);
        return prefix + kind + written.length() + ":" + written + ":" + messageId;
    }

    /**
     * Where keys of one channel that are named by something else (a lease ticket's token) begin: on
     * one Redis {@code {prefix}{kind}}, in a cluster also the channel's tag, so they share its slot.
     */
    public String scope(String kind, String channel) {
        return cluster ? prefix + kind + channel(channel) + ":" : prefix + kind;
    }

    /** The channel (never empty) as keys hold it: itself, or in a cluster its hash tag. */
    public String channel(String channel) {
        if (channel.isEmpty()) {
            throw new IllegalArgumentException("a channel is never empty");
        }
        if (!cluster) {
            return channel;
        }
        return channel.indexOf('}') < 0 ? "{" + channel + "}" : "{#" + digest(channel) + "}" + channel;
    }

    /**
     * The channel a key names, from what follows the key's kind: the inverse of {@link #channel}. A
     * cluster key not written by the service (no tag) is taken as it is.
     */
    public String channelOf(String written) {
        if (!cluster || !written.startsWith("{")) {
            return written;
        }
        int end = written.indexOf('}');
        if (written.startsWith("{#") && end > 0) {
            String channel = written.substring(end + 1);
            if (channel(channel).equals(written)) {
                return channel;
            }
        }
        return end == written.length() - 1 ? written.substring(1, end) : written;
    }

    private static String digest(String channel) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(channel.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
