package io.assistantstream.hub;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.testing.LogWatch;
import io.assistantstream.testing.RawWebSocket;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A minute (the system property {@code fuzz.seconds}) of client messages to a running service's
 * {@code /ws}, from four clients at a time, each a fresh connection every few hundred messages:
 * valid commands mutated at random, wrong types, duplicate keys, truncations, huge and deeply nested
 * documents, invalid UTF-8, binary and fragmented messages, pings. Afterwards no connection or
 * subscription is left behind, the service logged no warning, still answers a client end to end,
 * and its heap after a full collection grew by less than 64 MiB. The seed is in the failure message, so a failure can be replayed.
 */
class ClientMessageFuzzTest {
    private static final List<String> SEEDS = List.of(
            "{\"action\":\"subscribe\",\"channel\":\"room-1\"}",
            "{\"type\":\"subscribe\",\"payload\":{\"channel\":\"room-2\",\"since\":0,\"format\":\"delta\"}}",
            "{\"action\":\"subscribe\",\"channel\":\"room-3\",\"since\":17,\"format\":\"whole\",\"token\":\"x.y.z\"}",
            "{\"action\":\"unsubscribe\",\"channel\":\"room-1\"}",
            "{\"type\":\"unsubscribe\",\"payload\":{\"channel\":\"room-2\"}}",
            "{\"action\":\"auth\",\"token\":\"eyJhbGciOiJIUzI1NiJ9.e30.c2ln\"}");
    private static final List<String> ODD_VALUES = List.of("null", "true", "-1", "1e309", "18446744073709551616",
            "[]", "{}", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"" + "x".repeat(300) + "\"", "0.5", "\"room-1\"");

    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    @Test
    void a_minute_of_random_and_mutated_client_messages_neither_stops_the_service_nor_grows_its_heap()
            throws Exception {
        world.set("websocket.max.messages.per.second", "100000"); // the fuzz reaches the parser, not the rate limit
        world.set("websocket.ping.seconds", "1"); // a connection dropped without a close frame leaves after two pings
        AssistantStream service = world.start();
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Duration length = Duration.ofSeconds(Long.getLong("fuzz.seconds", 60));
        long heapBefore = usedHeapAfterGc();
        Map<Integer, AtomicInteger> closes = new ConcurrentHashMap<>();
        AtomicInteger sent = new AtomicInteger();
        try (LogWatch log = LogWatch.of("", java.util.logging.Level.WARNING)) {
            long until = System.nanoTime() + length.toNanos();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Random random = new Random(seed + c);
                clients.add(Thread.ofVirtual().start(() -> fuzz(service.port(), random, until, sent, closes)));
            }
            for (Thread client : clients) {
                client.join(length.plusSeconds(60));
                assertTrue(!client.isAlive(), "a fuzzing client hung (seed " + seed + ")");
            }
            assertEquals(List.of(), log.lines(), "no warning was logged (seed " + seed + ")");
        }
        SubscriberHub hub = service.hub().orElseThrow();
        long settled = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((hub.clients() > 0 || hub.channels() > 0) && System.nanoTime() < settled) {
            Thread.sleep(50);
        }
        assertEquals(0, hub.clients(), "every fuzzing connection left the hub (seed " + seed + ")");
        assertEquals(0, hub.channels(), "no subscription outlived its connection (seed " + seed + ")");
        try (WsClient client = WsClient.connect(service.port())) { // still serving, end to end
            client.subscribe("after-fuzz");
            world.rabbit().publish("after-fuzz", "m1", "still there?");
            List<JsonNode> answer = client.answer("m1");
            assertEquals("completed", answer.getLast().get("status").asText(), "seed " + seed);
        }
        long grown = usedHeapAfterGc() - heapBefore;
        assertTrue(grown < 64L << 20, "the heap grew by " + (grown >> 20) + " MiB (seed " + seed + ")");
        assertTrue(sent.get() > 1000, "the fuzz sent only " + sent.get() + " messages");
        System.out.println("fuzz: " + sent.get() + " messages in " + length.toSeconds() + " s, seed " + seed
                + ", connections closed by the server by code: " + closes);
    }

    /** One client's share: connections of up to 300 messages each, until {@code until}. */
    private static void fuzz(int port, Random random, long until, AtomicInteger sent, Map<Integer, AtomicInteger> closes) {
        while (System.nanoTime() < until) {
            try (RawWebSocket socket = RawWebSocket.handshake(port, null)) {
                Thread drain = Thread.ofVirtual().start(() -> {
                    try {
                        closes.computeIfAbsent(socket.closeCode(Duration.ofSeconds(120)), k -> new AtomicInteger())
                                .incrementAndGet();
                    } catch (IOException | AssertionError e) {
                        // the client side closed first
                    }
                });
                int count = 1 + random.nextInt(300);
                for (int i = 0; i < count && System.nanoTime() < until; i++) {
                    send(socket, random);
                    sent.incrementAndGet();
                }
                socket.close();
                drain.join(Duration.ofSeconds(5));
            } catch (IOException e) {
                // the server closed this connection (a policy close, say): the next one starts afresh
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void send(RawWebSocket socket, Random random) throws IOException {
        switch (random.nextInt(10)) {
            case 0 -> socket.sendFrame(1, randomBytes(random, random.nextInt(64)), true); // invalid UTF-8, likely
            case 1 -> socket.sendFrame(2, randomBytes(random, random.nextInt(64)), true); // binary
            case 2 -> { // a message in parts
                byte[] text = mutated(random).getBytes(StandardCharsets.UTF_8);
                int cut = text.length / 2;
                socket.sendFrame(1, java.util.Arrays.copyOf(text, cut), false);
                socket.sendFrame(0, java.util.Arrays.copyOfRange(text, cut, text.length), true);
            }
            case 3 -> socket.sendFrame(1, huge(random).getBytes(StandardCharsets.UTF_8), true);
            case 4 -> socket.sendFrame(9, randomBytes(random, random.nextInt(100)), true); // ping
            default -> socket.sendFrame(1, mutated(random).getBytes(StandardCharsets.UTF_8), true);
        }
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Deep nesting, or a long string, under or over the 16 KiB a message may have. */
    private static String huge(Random random) {
        int size = random.nextBoolean() ? 8_000 : 40_000;
        return switch (random.nextInt(3)) {
            case 0 -> "[".repeat(size) + "]".repeat(size);
            case 1 -> "{\"a\":".repeat(size / 5) + "1" + "}".repeat(size / 5);
            default -> "{\"action\":\"subscribe\",\"channel\":\"" + "c".repeat(size) + "\"}";
        };
    }

    /** A valid command with a few random changes. */
    private static String mutated(Random random) {
        StringBuilder text = new StringBuilder(SEEDS.get(random.nextInt(SEEDS.size())));
        int changes = random.nextInt(4);
        for (int i = 0; i < changes && !text.isEmpty(); i++) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(6)) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, (char) random.nextInt(0x3000));
                case 2 -> text.setLength(at); // truncated
                case 3 -> text.insert(at, "\"channel\":\"dup\",");
                case 4 -> { // a value replaced by one of another type
                    int colon = text.indexOf(":", at);
                    int end = colon < 0 ? -1 : indexOfAny(text, colon + 1);
                    if (end > colon + 1) {
                        text.replace(colon + 1, end, ODD_VALUES.get(random.nextInt(ODD_VALUES.size())));
                    }
                }
                default -> text.setCharAt(at, (char) (32 + random.nextInt(95)));
            }
        }
        return text.toString();
    }

    private static int indexOfAny(StringBuilder text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) == ',' || text.charAt(i) == '}') {
                return i;
            }
        }
        return -1;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
