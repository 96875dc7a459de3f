package io.assistantstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

import javax.net.ssl.SSLContext;

import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

/**
 * Run by RuntimeImageTest on the jlinked runtime: HTTPS GETs of {@code args[0]} (a server with an EC
 * certificate, trusted through {@code javax.net.ssl.trustStore}) with the JDK's HTTP client (relay mode,
 * the command line) and Helidon's WebClient (OpenAI), then the default TLS context's ECDHE suites.
 * Prints one line per check.
 */
public final class TlsProbe {
    private TlsProbe() {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        try (HttpClient jdk = HttpClient.newHttpClient()) {
            HttpResponse<String> response = jdk.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println("jdk-http-client " + response.statusCode() + " "
                    + response.sslSession().map(s -> s.getProtocol() + " " + s.getCipherSuite()).orElse("no TLS"));
        }
        try (HttpClientResponse response = WebClient.builder().build().get(uri.toString()).request()) {
            System.out.println("helidon-webclient " + response.status().code());
        }
        long ecdhe = Arrays.stream(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites())
                .filter(suite -> suite.startsWith("TLS_ECDHE_ECDSA_")).count();
        System.out.println("ecdhe-ecdsa-suites " + ecdhe);
    }
}
