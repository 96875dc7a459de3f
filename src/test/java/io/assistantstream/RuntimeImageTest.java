package io.assistantstream;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.testing.Launched;
import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The container image's contents, laid out by scripts/runtime-image.sh exactly as the Dockerfile's build
 * stage does (jdeps, jlink, the AOT cache trained on the new runtime): the runtime is at most 60 MB, and on
 * it the service starts with its cache, gets ready, answers a message end to end, and makes TLS
 * connections with both HTTP clients.
 * <p>
 * The script lays out the jar Maven packaged, so this test runs after {@code package}: it is tagged
 * {@code image}, which the pom's default surefire run leaves out and its {@code image-test} run (in the
 * integration-test phase of {@code mvn verify}) runs alone. Reusing the real jar keeps the script the one
 * thing under test; nothing here rebuilds the image another way.
 */
@Tag("image")
class RuntimeImageTest {
    private static final Path IMAGE = Path.of("target/image-test");
    private static final long MAX_RUNTIME_BYTES = 60_000_000L; // 60 MB
    private static final String TRUST_PASSWORD = "image-test";

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void the_jlinked_image_starts_with_its_aot_cache_gets_ready_and_answers() throws Exception {
        Path javaHome = Path.of(System.getProperty("java.home"));
        assertTrue(Files.isExecutable(javaHome.resolve("bin/jlink")),
                "no bin/jlink in " + javaHome + ": this test needs a full JDK 25 (not a JRE) to build the image");
        assertJarIsFresh();
        // The training's queue, exchange and key are the world's, so closing the world deletes them.
        String name = "image_" + UUID.randomUUID().toString().substring(0, 8);
        world.set("queue.name", name + "_queue").set("exchange.name", name + "_exchange")
                .set("routing.key", name + "_key");
        runScript(name);

        long runtimeBytes = size(IMAGE.resolve("runtime"));
        System.out.printf("RuntimeImageTest: runtime %.1f MiB (%d bytes)%n", runtimeBytes / 1048576.0, runtimeBytes);
        assertTrue(runtimeBytes <= MAX_RUNTIME_BYTES, "the runtime is " + runtimeBytes + " bytes, over 60 MB");
        String modules = Files.readAllLines(IMAGE.resolve("runtime/release")).stream()
                .filter(line -> line.startsWith("MODULES=")).findFirst().orElseThrow();
        assertFalse(modules.contains("java.desktop"), modules);
        for (String module : List.of("java.net.http", "jdk.unsupported", "jdk.management")) {
            assertTrue(modules.contains(module), module + " missing: " + modules);
        }
        assertTrue(Files.size(IMAGE.resolve("app/assistant-stream.aot")) > 0, "no AOT cache");

        Map<String, String> env = world.environment();
        env.put("JAVA_OPTS", "-XX:AOTMode=on"); // fails to start, rather than starting without the cache
        try (Launched service = new Launched(List.of(IMAGE.resolve("bin/assistant-stream").toString()), env,
                Launched.SERVICE_READY)) {
            int port = service.awaitReady(60);
            assertEquals(0, healthcheck(port), "bin/healthcheck (the image's HEALTHCHECK):\n" + service.tail());
            try (HttpClient http = HttpClient.newHttpClient()) {
                for (String path : List.of("/observe/health/ready", "/observe/metrics")) {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, response.statusCode(), path + ": " + response.body());
                }
            }
            try (WsClient client = WsClient.connect(port)) {
                client.subscribe("image-channel");
                world.rabbit().publish("image-channel", "image-1", "hello image");
                JsonNode last = client.answer("image-1").getLast();
                assertEquals("completed", last.get("status").asText(), last.toString());
                assertEquals("Echo: hello image", last.get("message").asText());
            }
        }
        tlsOnTheRuntime();
    }

    /** The script would lay out a jar older than the classes: run through {@code mvn verify}, it never is. */
    private static void assertJarIsFresh() throws IOException {
        Path jar = Path.of("target/assistant-stream.jar");
        assertTrue(Files.isRegularFile(jar), "no " + jar + ": run this test with mvn verify (after package)");
        FileTime built = Files.getLastModifiedTime(jar);
        try (Stream<Path> classes = Files.walk(Path.of("target/classes"))) {
            classes.filter(Files::isRegularFile).filter(f -> modified(f).compareTo(built) > 0).findFirst()
                    .ifPresent(f -> fail(jar + " is older than " + f + ": run this test with mvn verify (after package)"));
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void runScript(String trainingName) throws Exception {
        Path log = Path.of("target/image-test.log");
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/runtime-image.sh", "--no-build", "--aot",
                "--image", IMAGE.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("AOT_TRAINING_NAME", trainingName);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process script = builder.start();
        if (!script.waitFor(4, TimeUnit.MINUTES)) {
            script.destroyForcibly();
            fail("scripts/runtime-image.sh took over 4 minutes:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        System.out.println(output);
        assertEquals(0, script.exitValue(), "scripts/runtime-image.sh failed:\n" + output);
    }

    /** The image's own health check, polled for up to 20 s; its last exit code (-1: it hung for 10 s). */
    private static int healthcheck(int port) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(IMAGE.resolve("bin/healthcheck").toString()).inheritIO();
        builder.environment().put("HEALTHCHECK_PORT", Integer.toString(port));
        return Readiness.poll(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
            Process check = builder.start();
            if (!check.waitFor(10, TimeUnit.SECONDS)) {
                check.destroyForcibly();
                return -1;
            }
            return check.exitValue();
        }, code -> code == 0);
    }

    /**
     * TLS on the jlinked runtime: a local HTTPS server with an EC certificate (made with keytool), fetched by
     * TlsProbe on that runtime with the JDK client and Helidon's, trusting the certificate's store.
     */
    private static void tlsOnTheRuntime() throws Exception {
        Path dir = Files.createTempDirectory("image-tls");
        Path store = dir.resolve("tls.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "tls", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", TRUST_PASSWORD, "-keypass", TRUST_PASSWORD)
                .redirectErrorStream(true).start();
        String keytoolOut = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), keytoolOut);

        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keys.load(in, TRUST_PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, TRUST_PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String classpath = "target/test-classes" + File.pathSeparator + IMAGE.resolve("app/assistant-stream.jar");
            Process probe = new ProcessBuilder(IMAGE.resolve("runtime/bin/java").toString(),
                    "-Djavax.net.ssl.trustStore=" + store, "-Djavax.net.ssl.trustStorePassword=" + TRUST_PASSWORD,
                    "-cp", classpath, TlsProbe.class.getName(), "https://localhost:" + server.getAddress().getPort() + "/")
                    .redirectErrorStream(true).start();
            String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS), out);
            System.out.print("RuntimeImageTest: TlsProbe on the jlinked runtime:\n" + out);
            assertEquals(0, probe.exitValue(), out);
            assertTrue(out.contains("jdk-http-client 200 TLSv1.3"), out);
            assertTrue(out.contains("helidon-webclient 200"), out);
            assertTrue(out.matches("(?s).*ecdhe-ecdsa-suites [1-9].*"), out);
        } finally {
            server.stop(0);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    /** Bytes in the files under {@code dir} (apparent sizes). */
    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
