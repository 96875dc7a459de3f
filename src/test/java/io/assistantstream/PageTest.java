package io.assistantstream;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

import io.assistantstream.access.TestTokens;
import io.assistantstream.testing.Browser;
import io.assistantstream.testing.TestWorld;

import static io.assistantstream.testing.Browser.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page at {@code /}, served by a real service, in a real Chromium: a message sent from it
 * streams in and completes, the stop button cancels it, a reload mid-answer shows the whole
 * answer, and the same with channel tokens and with the echo backend. One browser for the class;
 * each test has its own service, so its own origin and its own session storage. Screenshots go to
 * {@code target/screenshots/}.
 */
class PageTest {
    private static final String ADMIN = "admin-token-of-the-page-test";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final By STATUS = testId("status");
    private static final By ANSWER = testId("answer");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static Browser browser;

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @BeforeAll
    static void startBrowser() throws IOException {
        browser = Browser.start();
        browser.size(1200, 760);
    }

    @AfterAll
    static void closeBrowser() throws IOException {
        browser.close();
    }

    @Test
    void a_message_sent_from_the_page_streams_in_and_completes() throws Exception {
        openPage("page-send");
        send("hello from the page");
        awaitAnswer("completed", "Echo: hello from the page");
        browser.screenshot(SCREENSHOTS.resolve("page-completed.png"));
    }

    @Test
    void the_stop_button_cancels_the_answer_in_flight() throws Exception {
        openPage("page-stop");
        send("!words=300 !delay=40 stop me");
        browser.awaitText(STATUS, "responding", WAIT);
        browser.click(testId("stop"));
        browser.awaitText(STATUS, "cancelled", WAIT);
        String shown = browser.text(ANSWER);
        assertTrue(shown.startsWith("w1 w2") && !shown.contains("w300"), "the text so far stays: " + shown);
        browser.screenshot(SCREENSHOTS.resolve("page-cancelled.png"));
    }

    @Test
    void a_page_reloaded_mid_answer_shows_the_whole_answer() throws Exception {
        openPage("page-reload");
        send("!words=150 !delay=40 long");
        awaitAnswerShowing("w5 ");
        browser.reload();
        awaitAnswerShowing(" ");
        String first = browser.text(ANSWER);
        assertTrue(first.startsWith("w1 w2 w3 "), "the reloaded page shows the answer from its start: " + first);
        assertEquals("responding", browser.text(STATUS), "and it is still in flight: " + first);
        awaitAnswer("completed", words(150));
        assertEquals("!words=150 !delay=40 long", questionShown(), "the tab remembers what it asked");
    }

    @Test
    void with_channel_tokens_the_page_gets_one_and_reads_its_channel() throws Exception {
        world.set("websocket.auth", "jwt");
        world.set("websocket.jwt.secret", TestTokens.SECRET);
        openPage("page-jwt");
        send("hello with a token");
        awaitAnswer("completed", "Echo: hello with a token");
    }

    @Test
    void with_the_echo_backend_a_message_comes_back_and_a_weather_question_runs_the_tool() throws Exception {
        world.set("openai.api", "echo");
        world.set("openai.api.key", "");
        world.set("echo.word.ms", "15");
        openPage("page-echo");
        for (String message : List.of("Hello! Every word comes back, one at a time.",
                "Press Stop to cut an answer short, or reload: it carries on where it was.")) {
            send(message);
            awaitAnswer("completed", message);
        }
        browser.screenshot(SCREENSHOTS.resolve("page-echo.png"));
        send("What is the weather in Zocca?");
        awaitAnswer("completed", "The weather in Zocca, IT: moderate rain, 298.48 °C (feels like 298.74 °C),"
                + " humidity 64%, wind 0.62 m/s.");
    }

    @Test
    void with_admin_on_the_management_port_the_page_says_it_needs_them_here() throws Exception {
        world.set("management.port", "0");
        openPage("page-management");
        String notice = browser.text(By.cssSelector("#notices [data-key='admin']"));
        assertTrue(notice.contains("management port (MANAGEMENT_PORT)") && notice.contains("same port"), notice);
        send("sent nowhere");
        browser.awaitText(STATUS, "error", WAIT);
        assertFalse(browser.text(By.cssSelector(".error")).isEmpty());
        browser.screenshot(SCREENSHOTS.resolve("page-management-port.png"));
    }

    /** Starts the service with an admin token, opens its page, and types the token and the channel in. */
    private void openPage(String channel) throws Exception {
        world.set("admin.token", ADMIN);
        AssistantStream service = world.start();
        browser.open("http://127.0.0.1:" + service.port() + "/");
        browser.type(testId("admin-token"), ADMIN);
        browser.type(testId("channel"), channel);
        browser.awaitText(testId("connection"), "connected", WAIT);
    }

    private void send(String message) {
        browser.type(testId("message-input"), message);
        browser.click(testId("send"));
    }

    /** Waits for the latest answer's status, then checks its whole text. */
    private void awaitAnswer(String status, String text) {
        browser.awaitText(STATUS, status, WAIT);
        assertEquals(text, browser.text(ANSWER));
    }

    private void awaitAnswerShowing(String part) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!browser.text(ANSWER).contains(part)) {
            assertTrue(System.nanoTime() < until, "the answer never showed '" + part + "': " + browser.text(ANSWER));
            Thread.sleep(20);
        }
    }

    private String questionShown() {
        return browser.text(By.cssSelector(".exchange:last-child .question"));
    }

    private static String words(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }
}
