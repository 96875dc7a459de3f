package io.assistantstream.hub;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.access.ChannelAccess;
import io.assistantstream.frames.Frame;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.frames.Status;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How frames reach a channel's subscribers on one instance, in memory: answered here or heard from
 * Redis, each once and in seq order, gaps filled from the log, resumes replayed before live frames.
 */
class SubscriberHubTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InMemoryFrameFeed feed = new InMemoryFrameFeed();
    private final SubscriberHub hub = new SubscriberHub(feed, Duration.ofMinutes(10), 100, TestMeters.fresh());

    @AfterEach
    void closeHub() {
        hub.close();
    }

    private RecordedSession client(String subscribe) throws InterruptedException {
        RecordedSession session = new RecordedSession();
        HubEndpoint endpoint = new HubEndpoint(hub, ChannelAccess.open(), new HubEndpoint.Limits(1 << 20, 64, 10, 1000));
        endpoint.onOpen(session);
        endpoint.onMessage(session, subscribe, true);
        return session;
    }

    /** A client whose subscribe was acknowledged (the acknowledgement taken). */
    private RecordedSession subscribed(String subscribe) throws InterruptedException {
        RecordedSession session = client(subscribe);
        session.next();
        return session;
    }

    private static NumberedFrame frame(long seq, String soFar, String delta) {
        return NumberedFrame.of(seq, new Frame("c", "m", "conv_1", Status.IN_PROGRESS, JsonText.of(soFar), delta, null,
                1_000L));
    }

    private static long seq(String json) throws Exception {
        return JSON.readTree(json).get("seq").asLong();
    }

    @Test
    void frames_answered_here_and_heard_back_from_redis_reach_the_client_once_and_open_no_gap() throws Exception {
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next(); // subscribed
        for (int seq = 1; seq <= 3; seq++) {
            hub.deliver(frame(seq, "x".repeat(seq), "x"));
        }
        feed.publish("c", frame(1, "x", "x").json(false)); // Redis sends this instance's own frames back, later
        hub.deliver(frame(4, "xxxx", "x"));
        for (int seq = 2; seq <= 4; seq++) {
            feed.publish("c", frame(seq, "x".repeat(seq), "x").json(false));
        }
        for (long seq = 1; seq <= 4; seq++) {
            assertEquals(seq, seq(client.next()));
        }
        assertTrue(client.quietFor(100), "not a second time");
        assertEquals(0, feed.reads(), "a frame heard back is no gap to fill");
    }

    private static NumberedFrame responding(long seq) {
        return NumberedFrame.of(seq, new Frame("c", "m", "conv_1", Status.RESPONDING,
                JsonText.of("Assistant is responding..."), null, null, 1_000L));
    }

    @Test
    void frames_heard_without_the_answer_so_far_get_it_from_the_frames_before_them() throws Exception {
        RecordedSession whole = subscribed("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        RecordedSession delta = subscribed("{\"action\":\"subscribe\",\"channel\":\"c\",\"format\":\"delta\"}");
        feed.publish("c", responding(1).json(false));
        feed.publish("c", frame(2, "Hello", "Hello").json(false));
        feed.publish("c", frame(3, "Hello \"world\"", " \"world\"").json(false));
        assertEquals(responding(1).json(false), whole.next());
        assertEquals(frame(2, "Hello", "Hello").json(false), whole.next());
        assertEquals(frame(3, "Hello \"world\"", " \"world\"").json(false), whole.next());
        delta.next();
        assertEquals(frame(2, "Hello", "Hello").json(true), delta.next());
        assertEquals(frame(3, "Hello \"world\"", " \"world\"").json(true), delta.next());
        assertEquals(0, feed.reads(), "the text came with the frames");
    }

    @Test
    void a_hub_that_starts_hearing_a_channel_mid_answer_reads_the_answer_so_far_from_the_log() throws Exception {
        feed.logged("c", responding(1).json(false));
        feed.logged("c", frame(2, "Hel", "Hel").json(false));
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next();
        feed.publish("c", frame(3, "Hello", "lo").json(false));
        feed.publish("c", frame(4, "Hello!", "!").json(false));
        assertEquals(frame(3, "Hello", "lo").json(false), client.next());
        assertEquals(frame(4, "Hello!", "!").json(false), client.next());
        assertEquals(1, feed.reads(), "one read, for the first frame heard");
    }

    @Test
    void a_frame_heard_without_its_text_while_a_read_that_missed_it_travels_gets_its_text_from_another_read()
            throws Exception {
        feed.logged("c", responding(1).json(false));
        feed.logged("c", frame(2, "Hel", "Hel").json(false));
        feed.holdReplies();
        RecordedSession client = subscribed("{\"action\":\"subscribe\",\"channel\":\"c\"}"); // mid-answer
        feed.reconnected(); // Redis confirms the subscription: the log is read after seq 2, and finds nothing newer
        feed.publish("c", frame(3, "Hello", "lo").json(false)); // logged after that read, heard while its reply travels
        feed.answerReads();
        assertEquals(frame(3, "Hello", "lo").json(false), client.next(), "the text it continues, not its delta alone");
    }

    @Test
    void a_frame_that_skips_ahead_waits_until_the_log_filled_the_gap() throws Exception {
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next();
        feed.publish("c", frame(1, "a", "a").json(false));
        feed.logged("c", frame(2, "ab", "b").json(false)); // never heard
        feed.holdReads();
        feed.publish("c", frame(3, "abc", "c").json(false));
        assertEquals(1, seq(client.next()));
        assertTrue(client.quietFor(100), "frame 3 waits for frame 2");
        feed.answerReads();
        assertEquals(2, seq(client.next()));
        assertEquals(3, seq(client.next()));
    }

    @Test
    void after_the_feed_reconnects_the_frames_published_meanwhile_are_filled_from_the_log() throws Exception {
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next();
        feed.publish("c", frame(1, "a", "a").json(false));
        assertEquals(1, seq(client.next()));
        feed.logged("c", frame(2, "ab", "b").json(false));
        feed.logged("c", frame(3, "abc", "c").json(false));
        feed.reconnected();
        assertEquals(2, seq(client.next()));
        assertEquals(3, seq(client.next()));
    }

    @Test
    void a_resume_gets_its_acknowledgement_then_the_frames_after_since_then_the_live_ones_held_meanwhile()
            throws Exception {
        RecordedSession other = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        other.next();
        for (int seq = 1; seq <= 3; seq++) {
            feed.publish("c", frame(seq, "x".repeat(seq), "x").json(false));
        }
        feed.holdReads();
        RecordedSession resumed = client("{\"type\":\"subscribe\",\"payload\":{\"channel\":\"c\",\"since\":1}}");
        feed.publish("c", frame(4, "xxxx", "x").json(false)); // live while the replay is read
        hub.deliver(frame(5, "xxxxx", "x"));
        assertTrue(resumed.quietFor(100), "nothing before the replay");
        feed.answerReads();
        JsonNode ack = JSON.readTree(resumed.next());
        assertEquals("subscribed", ack.get("type").asText());
        assertTrue(ack.get("recovered").asBoolean());
        for (long seq = 2; seq <= 5; seq++) {
            assertEquals(seq, seq(resumed.next()));
        }
        assertTrue(resumed.quietFor(100), "no frame twice");
    }

    @Test
    void delta_and_whole_text_clients_of_one_channel_each_get_their_format() throws Exception {
        RecordedSession whole = subscribed("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        RecordedSession delta = subscribed("{\"action\":\"subscribe\",\"channel\":\"c\",\"format\":\"delta\"}");
        hub.deliver(frame(1, "Hello", "Hello"));
        hub.deliver(NumberedFrame.of(2, new Frame("c", "m", "conv_1", Status.COMPLETED, JsonText.of("Hello"), null, null,
                1_000L)));
        JsonNode wholeProgress = JSON.readTree(whole.next());
        JsonNode deltaProgress = JSON.readTree(delta.next());
        assertEquals("Hello", wholeProgress.get("message").asText());
        assertFalse(deltaProgress.has("message"));
        assertEquals("Hello", deltaProgress.get("delta").asText());
        assertEquals("Hello", JSON.readTree(whole.next()).get("message").asText());
        assertEquals("Hello", JSON.readTree(delta.next()).get("message").asText(), "completed carries the whole text");
    }

    @Test
    void a_frame_that_skips_ahead_of_where_the_channel_stood_at_the_first_subscribe_is_a_gap_too() throws Exception {
        for (int seq = 1; seq <= 3; seq++) {
            feed.logged("c", frame(seq, "x".repeat(seq), "x").json(false)); // before anyone here listened
        }
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next();
        feed.logged("c", frame(4, "xxxx", "x").json(false)); // published after the subscribe, never heard
        feed.publish("c", frame(5, "xxxxx", "x").json(false));
        assertEquals(4, seq(client.next()));
        assertEquals(5, seq(client.next()));
    }

    @Test
    void when_the_channel_s_seqs_start_again_below_what_its_clients_had_they_get_the_new_frames() throws Exception {
        RecordedSession client = client("{\"action\":\"subscribe\",\"channel\":\"c\"}");
        client.next();
        hub.deliver(frame(5000, "old", "old"));
        assertEquals(5000, seq(client.next()));
        feed.forget("c"); // Redis restarted without its data
        feed.logged("c", frame(1, "n", "n").json(false));
        feed.reconnected();
        feed.publish("c", frame(2, "ne", "e").json(false));
        assertEquals(1, seq(client.next()));
        assertEquals(2, seq(client.next()));
    }
}
