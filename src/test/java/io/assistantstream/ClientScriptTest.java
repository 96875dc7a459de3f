package io.assistantstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The unit tests of {@code /client.js} ({@code src/test/js/*.test.mjs}), run with Node's own test
 * runner ({@code node --test}, Node 20 or later). Without {@code node} this fails, saying so: tests
 * that quietly skip prove nothing.
 *
 * <p>The test files are named one by one: Node 22 and later take a directory argument for a module
 * to run, not a place to look for tests, and Node 20 does not expand a glob.
 */
class ClientScriptTest {
    private static final long TIMEOUT_SECONDS = 60;
    private static final Path TESTS = Path.of("src", "test", "js");

    @Test
    void the_browser_client_passes_its_node_tests() throws Exception {
        String version = run("node", "--version");
        assertTrue(version.strip().matches("v(2\\d|[3-9]\\d)\\..*"), "the client.js tests need Node.js 20 or later,"
                + " found " + version.strip());
        List<String> command = new ArrayList<>(List.of("node", "--test"));
        try (Stream<Path> files = Files.list(TESTS)) {
            files.map(Path::toString).filter(name -> name.endsWith(".test.mjs")).sorted().forEach(command::add);
        }
        assertTrue(command.size() > 2, "no *.test.mjs in " + TESTS);
        String report = run(command.toArray(String[]::new));
        assertTrue(report.contains("# fail 0") && !report.contains("# pass 0"), report);
    }

    /** The command's output (stdout and stderr); fails the test when it does not exit 0 within the timeout. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return fail("'node' could not be run (" + e.getMessage() + "): install Node.js 20 or later (Debian:"
                    + " apt-get install nodejs); the client.js tests need it");
        }
        process.getOutputStream().close();
        byte[][] output = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                output[0] = process.getInputStream().readAllBytes();
            } catch (IOException e) {
                output[0] = ("could not read the output: " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
            }
        });
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        String text = output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + text);
        return text;
    }
}
