package io.assistantstream;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.frames.RedisFramePublisher;
import io.assistantstream.hub.SubscriberHub;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.testing.RawWebSocket;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keep-alive on {@code /ws}, with the server's idle-connection timeout and the ping interval cut to
 * seconds: a client that only listens stays, a client that stops answering pings goes.
 */
class KeepAliveTest {
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration PING = Duration.ofSeconds(1);

    @RegisterExtension
    final TestWorld world = TestWorld.perTest()
            .set("server.idle-connection-timeout", IDLE_TIMEOUT.toString())
            .set("server.idle-connection-period", "PT0.5S")
            .set("websocket.ping.seconds", Long.toString(PING.toSeconds()));

    @Test
    void a_silent_subscriber_outlives_several_idle_timeouts_and_then_gets_a_whole_answer() throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            client.subscribe("quiet");
            Thread.sleep(IDLE_TIMEOUT.multipliedBy(4).toMillis()); // the client sends nothing meanwhile
            assertFalse(client.isClosed(), "the listening client was closed while idle");
            world.rabbit().publish("quiet", "m1", "still there?");
            List<JsonNode> answer = client.answer("m1");
            assertEquals("completed", answer.getLast().get("status").asText());
            assertEquals("Echo: still there?", answer.getLast().get("message").asText());
        }
    }

    @Test
    void a_client_that_answers_no_pings_is_closed_within_two_intervals_and_leaves_no_subscription() throws Exception {
        AssistantStream service = world.start();
        SubscriberHub hub = service.hub().orElseThrow();
        String topic = RedisFramePublisher.topic(KeySpace.standalone(world.prefix()), "deaf");
        long timeoutsBefore = service.meters().websocketPingTimeouts().count();
        try (RawWebSocket deaf = RawWebSocket.handshake(service.port(), null)) {
            assertEquals(101, deaf.status());
            deaf.sendText("{\"action\":\"subscribe\",\"channel\":\"deaf\"}");
            assertEquals("{\"type\":\"subscribed\",\"channel\":\"deaf\"}", deaf.readText()); // then never reads again
            assertEquals(1, hub.clients());
            assertEquals(1, hub.channels());
            assertEquals(1L, world.redis().pubsubNumsub(topic).get(topic));
            long subscribedAt = System.nanoTime();

            awaitCounts(hub, 0, 0, PING.multipliedBy(4));
            Duration gone = Duration.ofNanos(System.nanoTime() - subscribedAt);
            assertTrue(gone.compareTo(PING.multipliedBy(2)) >= 0, "dropped after only " + gone.toMillis() + " ms");
            assertEquals(0L, world.redis().pubsubNumsub(topic).get(topic), "the Redis subscription outlived the client");
            // the close frame at once; the socket with the idle timeout, as the peer sends nothing
            assertEquals(1001, deaf.closeCode(IDLE_TIMEOUT.multipliedBy(3)), "the server's close frame says why");
            assertEquals(timeoutsBefore + 1, service.meters().websocketPingTimeouts().count(), "the drop is counted");
        }
    }

    @Test
    void a_client_gone_without_a_close_frame_leaves_no_subscription_behind() throws Exception {
        world.set("websocket.ping.seconds", "60").set("server.idle-connection-timeout", "PT5M"); // no keep-alive help
        AssistantStream service = world.start();
        SubscriberHub hub = service.hub().orElseThrow();
        try (RawWebSocket vanishing = RawWebSocket.handshake(service.port(), null)) {
            vanishing.sendText("{\"action\":\"subscribe\",\"channel\":\"vanishing\"}");
            vanishing.readText();
        } // the socket is closed without a close frame, as a peer that vanished
        world.rabbit().publish("vanishing", "m1", "anyone?"); // the first frame for it finds the socket gone
        awaitCounts(hub, 0, 0, Duration.ofSeconds(10));
    }

    @Test
    void a_client_ping_is_answered_with_a_pong() throws Exception {
        AssistantStream service = world.start();
        try (WsClient client = WsClient.connect(service.port())) {
            assertEquals("are you there", client.ping("are you there"));
        }
    }

    /** Waits until the hub has {@code clients} clients and {@code channels} subscribed channels. */
    private static void awaitCounts(SubscriberHub hub, int clients, int channels, Duration within)
            throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (hub.clients() != clients || hub.channels() != channels) {
            assertTrue(System.nanoTime() < until, "the hub still has " + hub.clients() + " clients and "
                    + hub.channels() + " channels after " + within.toMillis() + " ms");
            Thread.sleep(20);
        }
    }
}
