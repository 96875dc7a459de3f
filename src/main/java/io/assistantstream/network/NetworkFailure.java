package io.assistantstream.network;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import io.helidon.common.buffers.DataReader;

/**
 * Recognises a failure to reach a server, or to keep talking to it, in whatever an HTTP client threw
 * (Helidon's WebClient or the JDK's), and says in words what went wrong: "the name does not resolve",
 * "the connection was refused", "the TLS handshake failed: the connection was closed", … — never a
 * Java class name, so the words can go to clients. The causes of a failure are searched too, since
 * the clients wrap what the socket threw (in an {@link java.io.UncheckedIOException}, say), and
 * Helidon reports a name that does not resolve as an {@link IllegalArgumentException}.
 */
public final class NetworkFailure {
    static final String NAME_DOES_NOT_RESOLVE = "the name does not resolve";
    static final String REFUSED = "the connection was refused";
    static final String CONNECT_TIMED_OUT = "the connection timed out";
    /** The words for a server that stopped answering (a read timed out), for a caller that words it its own way. */
    public static final String READ_TIMED_OUT = "no answer came in time";
    static final String RESET = "the connection was reset";
    static final String CLOSED = "the connection was closed";
    static final String NO_ROUTE = "there is no route to the host";
    static final String NETWORK_UNREACHABLE = "the network is unreachable";
    static final String CONNECTION_FAILED = "the connection failed";
    static final String NOT_OPENED = "the connection could not be opened";
    static final String CERTIFICATE = "the server's certificate was not accepted";
    static final String NOT_TLS = "the server does not speak TLS";
    static final String TLS_HANDSHAKE = "the TLS handshake failed";
    static final String TLS_CONNECTION = "the TLS connection failed";

    /** What Helidon's default DNS resolver throws (an IllegalArgumentException) for a name that does not resolve. */
    private static final String HELIDON_UNRESOLVED = "Failed to get address for host";
    /** The message of Helidon's UncheckedIOException around a failed handshake. */
    private static final String HELIDON_HANDSHAKE = "Failed to execute SSL handshake";
    /** Causes followed at most, against a cycle or an absurd chain. */
    private static final int MAX_DEPTH = 16;

    private NetworkFailure() {
    }

    /**
     * What went wrong on the network, in words, if {@code failure} or one of its causes is a network
     * failure; empty for anything else (a malformed answer, a bug).
     */
    public static Optional<String> describe(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        String handshake = null; // set once a TLS layer is seen: the TLS words to put before the cause
        String cause = null;
        String fallback = null; // a connection failure whose cause may say more
        for (Throwable t = failure; t != null && seen.add(t) && seen.size() <= MAX_DEPTH; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            if (handshake == null && (t instanceof SSLHandshakeException || message.startsWith(HELIDON_HANDSHAKE))) {
                handshake = TLS_HANDSHAKE;
            } else if (handshake == null && t instanceof SSLException) {
                handshake = TLS_CONNECTION;
            }
            cause = causeOf(t, message);
            if (cause == null && t instanceof SocketException && fallback == null) {
                fallback = t instanceof ConnectException ? NOT_OPENED : CONNECTION_FAILED;
            }
            if (cause != null) {
                break;
            }
        }
        if (NOT_OPENED.equals(fallback) && CLOSED.equals(cause)) {
            cause = fallback; // the JDK's client: a connection that could not be opened, its channel closed
        }
        if (cause == null) {
            cause = fallback;
        }
        if (handshake != null) {
            return Optional.of(cause == null ? handshake : handshake + ": " + cause);
        }
        return Optional.ofNullable(cause);
    }

    /** Whether {@code failure} or one of its causes is a network failure. */
    public static boolean is(Throwable failure) {
        return describe(failure).isPresent();
    }

    /**
     * The sentence for clients: "{@code service} could not be reached at {@code address}: {@code cause}",
     * e.g. "OpenAI could not be reached at api.openai.com: the name does not resolve".
     */
    public static String unreachable(String service, URI url, String cause) {
        return service + " could not be reached at " + address(url) + ": " + cause;
    }

    /** The host of {@code url}, with its port only when that is not the scheme's default. */
    public static String address(URI url) {
        String host = url.getHost() == null ? String.valueOf(url.getAuthority()) : url.getHost();
        int port = url.getPort();
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        boolean standard = port < 0 || port == 80 && scheme.equals("http") || port == 443 && scheme.equals("https");
        return standard ? host : host + ":" + port;
    }

    /** The words for one throwable of the chain, or null when it says nothing about the network itself. */
    private static String causeOf(Throwable t, String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException
                || t instanceof IllegalArgumentException && message.startsWith(HELIDON_UNRESOLVED)) {
            return NAME_DOES_NOT_RESOLVE;
        }
        if (t instanceof NoRouteToHostException) {
            return NO_ROUTE;
        }
        if (t instanceof HttpConnectTimeoutException) {
            return CONNECT_TIMED_OUT;
        }
        if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException) {
            return lower.contains("connect") ? CONNECT_TIMED_OUT : READ_TIMED_OUT;
        }
        if (t instanceof CertificateException || t instanceof CertPathBuilderException
                || t instanceof CertPathValidatorException || t instanceof SSLPeerUnverifiedException) {
            return CERTIFICATE;
        }
        if (t instanceof SSLException && lower.contains("unrecognized ssl message")) {
            return NOT_TLS;
        }
        if (t instanceof SocketException) {
            if (lower.contains("refused")) {
                return REFUSED;
            }
            if (lower.contains("reset")) {
                return RESET;
            }
            if (lower.contains("no route to host")) {
                return NO_ROUTE;
            }
            if (lower.contains("network is unreachable")) {
                return NETWORK_UNREACHABLE;
            }
            if (lower.contains("timed out")) {
                return CONNECT_TIMED_OUT;
            }
            if (lower.contains("broken pipe") || lower.contains("closed")) {
                return CLOSED;
            }
            return null; // the JDK's client wraps its causes in ConnectExceptions without a message
        }
        if (t instanceof EOFException || t instanceof ClosedChannelException
                || t instanceof DataReader.InsufficientDataAvailableException
                || t instanceof IllegalStateException && lower.contains("closed connection")) {
            return CLOSED;
        }
        return null;
    }
}
