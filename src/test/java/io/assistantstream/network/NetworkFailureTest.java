package io.assistantstream.network;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLHandshakeException;

import com.fasterxml.jackson.core.JsonParseException;
import io.helidon.common.buffers.DataReader;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.assistantstream.testing.MisbehavingServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What {@link NetworkFailure} makes of what the HTTP clients throw: each failure is made for real with
 * Helidon's WebClient against a loopback server that misbehaves (no traffic leaves the machine), or,
 * where loopback cannot produce it, built as the client builds it.
 */
public class NetworkFailureTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    /** What a request to {@code url} threw; fails the test if it threw nothing. */
    private static Throwable failureOf(String url) {
        WebClient client = WebClient.builder().connectTimeout(SHORT).build();
        try (HttpClientResponse response = client.get(url).readTimeout(SHORT).request()) {
            response.as(String.class);
        } catch (RuntimeException e) {
            return e;
        }
        return fail("no failure from " + url);
    }

    private static void assertWords(String expected, Throwable failure) {
        assertEquals(Optional.of(expected), NetworkFailure.describe(failure), () -> chain(failure));
    }

    private static String chain(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            text.append(" <- ").append(t);
        }
        return text.toString();
    }

    @Test
    void a_host_name_that_does_not_resolve_is_named_so() {
        // Helidon's DefaultDnsResolver throws this, without a cause (a real lookup is in UpstreamFailureTest)
        assertWords("the name does not resolve",
                new IllegalArgumentException("Failed to get address for host api.openai.invalid"));
        assertWords("the name does not resolve", new UnknownHostException("api.openai.invalid"));
        // the JDK's HttpClient
        assertWords("the name does not resolve", new ConnectException().initCause(new UnresolvedAddressException()));
    }

    @Test
    void a_closed_port_is_a_refused_connection() throws IOException {
        int port;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = gone.getLocalPort();
        }
        Throwable failure = failureOf("http://127.0.0.1:" + port + "/");
        assertInstanceOf(UncheckedIOException.class, failure);
        assertWords("the connection was refused", failure);
        assertWords("the connection was refused", failureOf("https://127.0.0.1:" + port + "/"));
    }

    @Test
    void a_listener_whose_backlog_is_full_is_a_connection_timeout() throws IOException {
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) { // the kernel queues backlog + 1; after that SYNs are dropped
                    Socket socket = new Socket();
                    queued.add(socket);
                    socket.connect(full.getLocalSocketAddress(), 100);
                }
                fail("the backlog never filled");
            } catch (SocketTimeoutException filled) {
                Throwable failure = failureOf("http://127.0.0.1:" + full.getLocalPort() + "/");
                assertWords("the connection timed out", failure);
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void a_server_that_hangs_up_is_a_closed_connection() throws IOException {
        try (MisbehavingServer server = MisbehavingServer.start(MisbehavingServer.Way.CLOSE)) {
            Throwable failure = failureOf(server.url("http"));
            assertInstanceOf(DataReader.InsufficientDataAvailableException.class, failure);
            assertWords("the connection was closed", failure);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource(delimiter = '|', value = {
            "RESET          | http  | the connection was reset",
            "CLOSE_MID_BODY | http  | the connection was closed",
            "RESET_MID_BODY | http  | the connection was reset",
            "SILENT         | http  | no answer came in time",
            "NOT_TLS        | https | the TLS handshake failed: the server does not speak TLS",
            "CLOSE          | https | the TLS handshake failed: the connection was closed"})
    void a_server_that_misbehaves_is_named_in_words(MisbehavingServer.Way way, String scheme, String words)
            throws IOException {
        try (MisbehavingServer server = MisbehavingServer.start(way)) {
            assertWords(words, failureOf(server.url(scheme)));
        }
    }

    @Test
    void an_untrusted_certificate_fails_the_tls_handshake() {
        // as Helidon wraps the JDK's PKIX failure (whose messages name internal classes)
        Throwable pkix = new SSLHandshakeException("(certificate_unknown) PKIX path building failed: "
                + "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path")
                .initCause(new CertificateException("PKIX path building failed"));
        assertWords("the TLS handshake failed: the server's certificate was not accepted",
                new UncheckedIOException("Failed to execute SSL handshake", (IOException) pkix));
    }

    @Test
    void no_route_an_unreachable_network_and_a_broken_pipe_are_named() {
        assertWords("there is no route to the host",
                new UncheckedIOException(new NoRouteToHostException("No route to host")));
        assertWords("the network is unreachable", new UncheckedIOException(new SocketException("Network is unreachable")));
        assertWords("the connection was closed", new UncheckedIOException(new SocketException("Broken pipe")));
        assertWords("the connection failed", new SocketException("something new"));
        assertWords("the connection was closed", new EOFException());
        // the JDK's HttpClient, refused: a ConnectException without a message around a closed channel
        assertWords("the connection could not be opened",
                new ConnectException().initCause(new ConnectException().initCause(new ClosedChannelException())));
    }

    @Test
    void an_answer_that_is_not_http_is_not_a_network_failure() throws IOException {
        try (MisbehavingServer server = MisbehavingServer.start(MisbehavingServer.Way.NOT_HTTP)) {
            Throwable failure = failureOf(server.url("http"));
            assertInstanceOf(IllegalStateException.class, failure);
            assertEquals(Optional.empty(), NetworkFailure.describe(failure));
        }
    }

    @Test
    void failures_that_are_not_network_failures_are_not_recognised() {
        for (Throwable other : List.of(new IllegalArgumentException("Chunk size is not a number"),
                new IllegalStateException("Connection cache is closed"),
                new IOException("the stream ended before the answer was complete"),
                new JsonParseException(null, "Unexpected character"),
                new NullPointerException(), new RuntimeException(new IllegalArgumentException("bad")))) {
            assertFalse(NetworkFailure.is(other), other::toString);
        }
    }

    @Test
    void a_cycle_of_causes_ends() {
        RuntimeException first = new RuntimeException("first");
        RuntimeException second = new RuntimeException("second", first);
        first.initCause(second);
        assertEquals(Optional.empty(), assertTimeoutPreemptively(Duration.ofSeconds(1), () -> NetworkFailure.describe(first)));
    }

    @Test
    void the_address_is_the_host_with_the_port_only_when_it_is_not_the_default() {
        assertEquals("api.openai.com", NetworkFailure.address(URI.create("https://api.openai.com/v1")));
        assertEquals("api.openai.com", NetworkFailure.address(URI.create("https://api.openai.com:443/v1")));
        assertEquals("example.org", NetworkFailure.address(URI.create("http://example.org:80")));
        assertEquals("example.org:443", NetworkFailure.address(URI.create("http://example.org:443/")));
        assertEquals("127.0.0.1:8080", NetworkFailure.address(URI.create("http://127.0.0.1:8080/v1")));
        assertEquals("OpenAI could not be reached at api.openai.com: the name does not resolve",
                NetworkFailure.unreachable("OpenAI", URI.create("https://api.openai.com/v1"), "the name does not resolve"));
    }
}
