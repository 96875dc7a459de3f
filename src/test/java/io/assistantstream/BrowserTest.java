package io.assistantstream;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.access.TestTokens;
import io.assistantstream.testing.Browser;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.RawWebSocket;
import io.assistantstream.testing.TestWorld;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A team's page on another origin, in a real Chromium: the predecessor's frontend snippet, served by
 * the test from a port of its own, subscribes to {@code /ws} and shows the answer.
 */
class BrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private WebServer app;
    private Browser browser;

    @BeforeEach
    void start() throws IOException {
        byte[] seedPage = page("seed-frontend.html");
        byte[] clientPage = page("client-frontend.html");
        app = WebServer.builder().host("127.0.0.1").port(0)
                .routing(routing -> routing.get("/chat", (req, res) -> {
                    res.headers().contentType(MediaTypes.TEXT_HTML);
                    res.send(seedPage);
                }).get("/app", (req, res) -> {
                    res.headers().contentType(MediaTypes.TEXT_HTML);
                    res.send(clientPage);
                }))
                .build().start();
        browser = Browser.start();
    }

    private static byte[] page(String name) throws IOException {
        try (InputStream in = BrowserTest.class.getResourceAsStream("/pages/" + name)) {
            return in.readAllBytes();
        }
    }

    @AfterEach
    void stop() throws IOException {
        try {
            browser.close();
        } finally {
            app.stop();
        }
    }

    @Test
    void a_page_on_another_origin_subscribes_and_shows_a_whole_answer() throws Exception {
        assertThePageShowsAnAnswer(world.start(), "browser-any", "hello from a browser");
    }

    @Test
    void a_page_whose_origin_is_listed_gets_in() throws Exception {
        world.set("websocket.allowed.origins", "https://app.example.com, " + appOrigin());
        assertThePageShowsAnAnswer(world.start(), "browser-listed", "listed");
    }

    @Test
    void a_page_whose_origin_is_not_listed_is_refused_with_403() throws Exception {
        world.set("websocket.allowed.origins", "https://app.example.com");
        AssistantStream service = world.start();
        try (LogWatch log = LogWatch.of("io.assistantstream.hub")) {
            openChat(service, "browser-refused");
            browser.awaitText("status", "closed 1006", WAIT); // all a page learns of a refused handshake
            assertEquals(1, log.count("Refused a WebSocket handshake from origin " + appOrigin()
                    + ": it is not in WEBSOCKET_ALLOWED_ORIGINS"), "the operator learns why: " + log.lines());
        }
        assertEquals(0, service.hub().orElseThrow().clients());
        try (RawWebSocket handshake = RawWebSocket.handshake(service.port(), appOrigin())) {
            assertEquals(403, handshake.status(), "what the browser was told");
        }
        try (RawWebSocket noOrigin = RawWebSocket.handshake(service.port(), null)) {
            assertEquals(101, noOrigin.status(), "a client that is no web page sends no Origin and gets in");
        }
    }

    @Test
    void a_page_on_another_origin_imports_client_js_from_the_service_and_reads_a_channel_with_its_token()
            throws Exception {
        world.set("websocket.auth", "jwt").set("websocket.jwt.secret", TestTokens.SECRET);
        AssistantStream service = world.start();
        String token = TestTokens.hs256(300, "browser-token");
        browser.open(appOrigin() + "/app?channel=browser-token&token=" + token + "&service=http://127.0.0.1:"
                + service.port());
        browser.awaitText("status", "subscribing", WAIT); // the module loaded across origins
        world.rabbit().publish("browser-token", "m1", "with a token"); // replayed, should it come before the subscribe

        browser.awaitText("status", "completed", WAIT);
        assertEquals("Echo: with a token", browser.text("answer"));
    }

    /** The page subscribes to {@code channel}, and shows the whole answer to {@code message} once it completed. */
    private void assertThePageShowsAnAnswer(AssistantStream service, String channel, String message) throws Exception {
        openChat(service, channel);
        browser.awaitText("status", "subscribed", WAIT);
        world.rabbit().publish(channel, "m1", message);
        browser.awaitText("status", "completed", WAIT);
        assertEquals("Echo: " + message, browser.text("answer"));
    }

    private String appOrigin() {
        return "http://localhost:" + app.port();
    }

    private void openChat(AssistantStream service, String channel) {
        browser.open(appOrigin() + "/chat?channel=" + channel + "&ws=ws://127.0.0.1:" + service.port() + "/ws");
    }
}
