package io.assistantstream.frames;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import io.assistantstream.testing.FakeRelay;
import io.assistantstream.testing.TcpProxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one connection to the relay is kept alive by pings, and left for a new one when the relay goes silent. */
class RelayKeepAliveTest {
    private static final Duration PING = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void the_relay_connection_survives_a_quiet_relay_that_closes_idle_connections() throws Exception {
        Duration idleTimeout = Duration.ofSeconds(4);
        try (FakeRelay relay = FakeRelay.start(idleTimeout);
             RelayConnection connection = connect(relay.url().getPort(), relay)) {
            send(connection, "quiet", 1);
            Thread.sleep(idleTimeout.multipliedBy(3).toMillis()); // nothing to send meanwhile
            send(connection, "quiet", 2);
            assertEquals(1, relay.connections(), "the relay's idle timeout closed the connection");
            assertEquals(2, relay.awaitFrames("quiet", 2, WAIT).size());
            assertTrue(relay.pings() >= 6, "only " + relay.pings() + " pings in " + idleTimeout.multipliedBy(3));
        }
    }

    @Test
    void a_relay_that_goes_silent_is_left_within_two_intervals_and_frames_go_over_a_new_connection() throws Exception {
        try (FakeRelay relay = FakeRelay.start();
             TcpProxy network = new TcpProxy(relay.url().getPort());
             RelayConnection connection = connect(network.port(), relay)) {
            send(connection, "silent", 1);
            relay.awaitFrames("silent", 1, WAIT); // a frame still in the network when it stalls would be lost with it
            network.stallAll(); // the relay neither reads nor answers any more, and nothing closes
            long stalledAt = System.nanoTime();
            while (relay.connections() < 2) {
                assertTrue(System.nanoTime() - stalledAt < PING.multipliedBy(6).toNanos(),
                        "still on the silent connection after " + PING.multipliedBy(6).toMillis() + " ms");
                Thread.sleep(20);
            }
            Duration left = Duration.ofNanos(System.nanoTime() - stalledAt);
            assertTrue(left.compareTo(PING) > 0, "left a healthy connection after " + left.toMillis() + " ms");
            send(connection, "silent", 2);
            List<JsonNode> frames = relay.awaitFrames("silent", 2, WAIT);
            assertEquals(List.of(1, 2), frames.stream().map(frame -> frame.get("seq").asInt()).toList());
            assertEquals(List.of("{\"type\":\"subscribe\",\"payload\":{\"channel\":\"silent\"}}"),
                    relay.messages(1).subList(0, 1), "the new connection subscribes again first");
        }
    }

    private static RelayConnection connect(int port, FakeRelay relay) {
        return new RelayConnection(relay.url().resolve("//127.0.0.1:" + port + "/relay"), 100,
                Duration.ofMillis(200), RelayConnection.ACK_TIMEOUT, PING);
    }

    private static void send(RelayConnection connection, String channel, int seq) throws Exception {
        connection.send(channel, "{\"seq\":" + seq + "}").toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
}
