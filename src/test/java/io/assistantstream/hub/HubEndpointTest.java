package io.assistantstream.hub;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import io.helidon.common.buffers.BufferData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.access.ChannelAccess;
import io.assistantstream.frames.Frame;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.frames.Status;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code /ws} client protocol, on an in-memory session and feed: milliseconds, no Redis. */
class HubEndpointTest {
    private final InMemoryFrameFeed feed = new InMemoryFrameFeed();
    private final SubscriberHub hub = new SubscriberHub(feed, Duration.ofMinutes(10), 100, TestMeters.fresh());
    private final RecordedSession session = new RecordedSession();
    private final HubEndpoint endpoint = new HubEndpoint(hub, ChannelAccess.open(), new HubEndpoint.Limits(1 << 16, 32, 2, 1000));

    @AfterEach
    void closeHub() {
        hub.close();
    }

    private String reply(String command) throws InterruptedException {
        endpoint.onMessage(session, command, true);
        return session.next();
    }

    @Test
    void both_subscribe_forms_are_acknowledged_and_the_channels_frames_follow() throws Exception {
        endpoint.onOpen(session);
        assertEquals("{\"type\":\"subscribed\",\"channel\":\"a\"}", reply("{\"action\":\"subscribe\",\"channel\":\"a\"}"));
        assertEquals("{\"type\":\"subscribed\",\"channel\":\"b\"}",
                reply("{\"type\":\"subscribe\",\"payload\":{\"channel\":\"b\"}}"));
        assertEquals(Set.of("a", "b"), feed.heard());
        feed.publish("a", "{\"seq\":1}");
        feed.publish("c", "{\"seq\":9}");
        assertEquals("{\"seq\":1}", session.next());
        assertTrue(session.quietFor(100), "nothing of a channel not subscribed");
    }

    @Test
    void a_cancel_is_acknowledged_when_its_message_runs_and_said_not_running_otherwise() throws Exception {
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        HubEndpoint cancelling = new HubEndpoint(hub, ChannelAccess.open(), new HubEndpoint.Limits(1 << 16, 32, 2, 1000),
                (channel, messageId) -> asked.add(channel + "/" + messageId) && messageId.equals("running"));
        cancelling.onOpen(session);
        cancelling.onMessage(session, "{\"action\":\"cancel\",\"channel\":\"a\",\"message_id\":\"running\"}", true);
        assertEquals("{\"type\":\"cancelling\",\"channel\":\"a\",\"message_id\":\"running\"}", session.next());
        cancelling.onMessage(session, "{\"action\":\"cancel\",\"channel\":\"a\",\"message_id\":\"done\"}", true);
        assertTrue(session.next().contains("\"code\":\"not_running\""));
        cancelling.onMessage(session, "{\"action\":\"cancel\",\"channel\":\"a\"}", true);
        assertTrue(session.next().contains("cancel needs a string 'message_id'"));
        assertEquals(java.util.List.of("a/running", "a/done"), asked, "a malformed cancel asks nobody");
    }

    @Test
    void after_unsubscribe_the_channel_is_no_longer_heard() throws Exception {
        endpoint.onOpen(session);
        reply("{\"action\":\"subscribe\",\"channel\":\"a\"}");
        assertEquals("{\"type\":\"unsubscribed\",\"channel\":\"a\"}",
                reply("{\"type\":\"unsubscribe\",\"payload\":{\"channel\":\"a\"}}"));
        assertEquals(Set.of(), feed.heard());
        assertEquals(0, hub.channels());
    }

    @Test
    void malformed_commands_get_an_error_reply_that_says_what_is_wrong() throws Exception {
        endpoint.onOpen(session);
        String[][] cases = {
                {"not json", "not JSON"},
                {"[1]", "expected a JSON object"},
                {"{\"action\":\"dance\",\"channel\":\"c\"}", "unknown action 'dance'"},
                {"{\"action\":\"subscribe\",\"channel\":7}", "subscribe needs a string 'channel'"},
                {"{\"action\":\"subscribe\",\"channel\":\"\"}", "channel is empty"},
                {"{\"action\":\"subscribe\",\"channel\":\"" + "x".repeat(33) + "\"}", "more than the 32 allowed"},
                {"{\"action\":\"subscribe\",\"channel\":\"c\",\"since\":-1}", "'since' must be a whole number"},
                {"{\"action\":\"subscribe\",\"channel\":\"c\",\"since\":1.5}", "'since' must be a whole number"},
                {"{\"type\":\"subscribe\",\"payload\":{\"channel\":\"c\",\"since\":\"7\"}}", "'since' must be"},
                {"{\"action\":\"subscribe\",\"channel\":\"c\",\"format\":\"diff\"}", "'format' must be \\\"delta\\\""}};
        for (String[] c : cases) {
            String reply = reply(c[0]);
            assertTrue(reply.startsWith("{\"type\":\"error\",\"status\":\"error\",\"message\":\""), reply);
            assertTrue(reply.contains(c[1]), c[0] + " -> " + reply);
        }
        endpoint.onMessage(session, BufferData.create("bytes".getBytes(StandardCharsets.UTF_8)), true);
        assertTrue(session.next().contains("binary messages are not supported"));
    }

    @Test
    void past_the_subscription_limit_a_subscribe_is_refused_and_the_others_stay() throws Exception {
        endpoint.onOpen(session);
        reply("{\"action\":\"subscribe\",\"channel\":\"a\"}");
        reply("{\"action\":\"subscribe\",\"channel\":\"b\"}");
        assertTrue(reply("{\"action\":\"subscribe\",\"channel\":\"c\"}").contains("too many subscriptions: at most 2"));
        assertEquals(Set.of("a", "b"), feed.heard());
    }

    @Test
    void a_ping_from_the_client_is_answered_with_a_pong_of_the_same_payload() throws Exception {
        endpoint.onOpen(session);
        endpoint.onPing(session, BufferData.create("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals("pong hello", session.next());
    }

    @Test
    void a_client_that_leaves_takes_its_subscriptions_with_it() throws Exception {
        endpoint.onOpen(session);
        reply("{\"action\":\"subscribe\",\"channel\":\"a\"}");
        assertEquals(1, hub.clients());
        endpoint.onClose(session, 1000, "bye");
        assertEquals(0, hub.clients());
        assertEquals(0, hub.channels());
        assertEquals(Set.of(), feed.heard());
    }

    @Test
    void a_client_that_cannot_catch_up_is_closed_with_1013_and_leaves_no_subscription_behind() throws Exception {
        HubEndpoint small = new HubEndpoint(hub, ChannelAccess.open(), new HubEndpoint.Limits(4096, 32, 2, 1000));
        small.onOpen(session);
        small.onMessage(session, "{\"action\":\"subscribe\",\"channel\":\"a\"}", true);
        assertEquals("{\"type\":\"subscribed\",\"channel\":\"a\"}", session.next());
        session.pause();
        for (int seq = 1; seq <= 100; seq++) { // the completed frames of 100 answers: nothing to merge
            feed.publish("a", NumberedFrame.of(seq, new Frame("a", "m" + seq, "conv_1", Status.COMPLETED,
                    JsonText.of("x".repeat(500)), null, null, 1_000L * seq)).json(false));
        }
        long until = System.nanoTime() + 5_000_000_000L;
        while ((hub.clients() > 0 || hub.channels() > 0) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(0, hub.clients());
        assertEquals(0, hub.channels());
        assertEquals(Set.of(), feed.heard());
        session.resume();
        String sent;
        do {
            sent = session.next();
        } while (!sent.startsWith("close"));
        assertEquals("close 1013 too slow: frames were not read", sent);
    }
}
