package io.assistantstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real, headless Chromium driven through its chromedriver: Debian's {@code chromium} and
 * {@code chromium-driver} packages by default ({@code CHROMIUM_BINARY} and {@code CHROMEDRIVER}
 * point elsewhere). Nothing is downloaded; a missing browser fails the test loudly, since a browser
 * test that quietly skips proves nothing. Each browser has a fresh profile, removed when closed.
 */
public final class Browser implements AutoCloseable {
    private final Path profile;
    private final WebDriver driver;

    private Browser() throws IOException {
        Path binary = Path.of(System.getenv().getOrDefault("CHROMIUM_BINARY", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));
        for (Path needed : new Path[] {binary, chromedriver}) {
            if (!Files.isExecutable(needed)) {
                throw new IllegalStateException(needed + " is missing: install Debian's chromium and chromium-driver"
                        + " (scripts/browser.sh does), or set CHROMIUM_BINARY and CHROMEDRIVER");
            }
        }
        profile = Files.createTempDirectory("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary.toFile());
        // As root in a container: no sandbox; and no background traffic to Google's hosts, which this
        // network refuses.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
    }

    public static Browser start() throws IOException {
        return new Browser();
    }

    /** Opens {@code url} in the browser's one tab. */
    public void open(String url) {
        driver.get(url);
    }

    /** Sets the window's size, in CSS pixels (what screenshots show). */
    public void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /** Reloads the page, as its user would. */
    public void reload() {
        driver.navigate().refresh();
    }

    /** The text of the element with this id, now. */
    public String text(String id) {
        return text(By.id(id));
    }

    /** The element a page marks with {@code data-testid="<testId>"}. */
    public static By testId(String testId) {
        return By.cssSelector("[data-testid='" + testId + "']");
    }

    /** The text of that element now, as shown (empty when the page has no such element yet). */
    public String text(By element) {
        try {
            return driver.findElement(element).getText();
        } catch (NoSuchElementException e) {
            return "";
        }
    }

    /** Replaces what the field holds with {@code text}, typed, and tabs out of it (its change event fires). */
    public void type(By field, String text) {
        WebElement input = driver.findElement(field);
        input.clear();
        input.sendKeys(text, Keys.TAB);
    }

    public void click(By element) {
        driver.findElement(element).click();
    }

    /** Saves what the browser shows as a PNG. */
    public void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** Waits until the element with this id shows exactly {@code expected}; fails with what it showed. */
    public void awaitText(String id, String expected, Duration timeout) {
        awaitText(By.id(id), expected, timeout);
    }

    /** Waits until the element shows exactly {@code expected}; fails with what it showed. */
    public void awaitText(By element, String expected, Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        while (!expected.equals(text(element))) {
            if (System.nanoTime() > until) {
                throw new AssertionError(element + " showed '" + text(element) + "', not '" + expected + "', after "
                        + timeout);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + element);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
