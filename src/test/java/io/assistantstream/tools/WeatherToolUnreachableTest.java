package io.assistantstream.tools;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import io.helidon.webclient.api.WebClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.assistantstream.backend.Deadline;
import io.assistantstream.testing.MisbehavingServer;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An OpenWeather that cannot be reached: the model is told where and why in words, and the call
 * never fails the answer. The servers are on loopback; the unresolvable host is in UpstreamFailureTest.
 */
class WeatherToolUnreachableTest {
    /** What the model gets back from one get_weather call to OpenWeather at {@code baseUrl}. */
    private static String outputFor(String baseUrl) throws InterruptedException {
        WeatherTool tool = new WeatherTool(WebClient.builder().connectTimeout(Duration.ofSeconds(1)).build(),
                URI.create(baseUrl), "key", Duration.ofMillis(300));
        ToolRegistry registry = new ToolRegistry(List.of(tool), Duration.ofSeconds(5), 16_384, TestMeters.fresh());
        return registry.run(List.of(new ToolCall("call-1", "get_weather", "{\"city\":\"Zocca\",\"units\":null}")), new ToolCaller("c", "m", "t"),
                Deadline.in(Duration.ofSeconds(30)))
                .getFirst().output();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource(delimiter = '|', value = {
            "CLOSE    | http  | the connection was closed",
            "RESET    | http  | the connection was reset",
            "SILENT   | http  | no answer came in time",
            "NOT_TLS  | https | the TLS handshake failed: the server does not speak TLS"})
    void an_openweather_that_misbehaves_is_named_with_its_address_and_the_cause_in_words(MisbehavingServer.Way way,
            String scheme, String cause) throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(way)) {
            assertEquals("Error: OpenWeather could not be reached at 127.0.0.1:" + server.port() + ": " + cause,
                    outputFor(server.url(scheme)));
        }
    }

    @Test
    void openweather_refusing_the_connection_is_named_with_its_address() throws Exception {
        int port;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = gone.getLocalPort();
        }
        assertEquals("Error: OpenWeather could not be reached at 127.0.0.1:" + port + ": the connection was refused",
                outputFor("http://127.0.0.1:" + port));
    }
}
