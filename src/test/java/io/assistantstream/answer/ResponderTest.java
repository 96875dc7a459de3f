package io.assistantstream.answer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.ScriptedBackend;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.Frame;
import io.assistantstream.frames.RecordedFrames;
import io.assistantstream.message.ChatRequest;
import io.assistantstream.store.InMemoryConversationStore;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponderTest {
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private final ScriptedBackend backend = new ScriptedBackend();
    private final RecordedFrames published = new RecordedFrames();
    private final Responder responder = new Responder(store, backend, stream(),
            Duration.ofSeconds(5), Clock.fixed(Instant.parse("2026-12-06T08:00:00Z"), ZoneOffset.UTC),
            TestMeters.fresh());

    /** Settings of the frames: no batching, so every word is a frame. */
    private static Settings.Stream stream() {
        return new Settings.Stream(0, Duration.ZERO, null, null, 1, 1, 1, Duration.ofSeconds(1),
                Duration.ofSeconds(25), null);
    }

    private Outcome answer(String channel, String messageId, String message) throws InterruptedException {
        return responder.answer(new ChatRequest(channel, messageId, message), published, System.nanoTime());
    }

    @Test
    void a_first_message_gets_a_new_conversation_and_a_whole_answer_ending_in_one_completed_frame() throws Exception {
        Outcome outcome = answer("c", "m1", "hello there");
        assertTrue(outcome.completed());
        assertEquals("conv_1", outcome.conversationId());
        assertEquals("conv_1", store.conversation("c").orElseThrow().id());
        assertEquals(List.of("started", "responding", "in_progress", "in_progress", "in_progress", "completed"),
                published.statuses());
        Frame completed = published.frames().getLast();
        assertTrue(completed.jsonAfterSeq(false).contains("\"message\":\"Echo: hello there\""), completed.jsonAfterSeq(false));
        assertTrue(published.frames().stream().allMatch(frame -> "conv_1".equals(frame.conversationId())));
    }

    @Test
    void a_cancel_before_the_answer_is_kept_ends_it_cancelled_and_one_after_is_too_late() throws Exception {
        Cancellation early = new Cancellation();
        backend.aroundKeeping(early::request, () -> { });
        Outcome cancelled = responder.answer(new ChatRequest("c", "m1", "stop me"), published, System.nanoTime(), early);
        assertTrue(cancelled.cancelled(), "cancelled: " + published.statuses());
        assertEquals("cancelled", published.statuses().getLast());

        Cancellation late = new Cancellation();
        backend.aroundKeeping(() -> { }, late::request);
        Outcome completed = responder.answer(new ChatRequest("c", "m2", "too late"), published, System.nanoTime(), late);
        assertTrue(completed.completed(), "completed: " + published.statuses());
        assertEquals("completed", published.statuses().getLast());
        assertEquals(List.of("m2"), backend.kept(), "only what completed was kept");
    }

    @Test
    void the_next_message_of_a_channel_continues_its_conversation() throws Exception {
        answer("c", "m1", "one");
        answer("c", "m2", "two");
        assertEquals(List.of("conv_1", "conv_1"), backend.answeredIn());
    }

    @Test
    void a_conversation_lost_upstream_is_replaced_once_and_the_answer_given_in_the_new_one() throws Exception {
        answer("c", "m1", "one");
        backend.forget("conv_1");
        Outcome outcome = answer("c", "m2", "two");
        assertTrue(outcome.completed());
        assertEquals("conv_2", outcome.conversationId());
        assertEquals("conv_2", store.conversation("c").orElseThrow().id());
    }

    @Test
    void an_answer_that_fails_ends_in_one_error_frame_with_the_reason_for_the_user() throws Exception {
        backend.failWith(new AnswerFailedException("The assistant is over quota", "429 insufficient_quota"));
        Outcome outcome = answer("c", "m1", "hello");
        assertFalse(outcome.completed());
        assertEquals("429 insufficient_quota", outcome.failure());
        assertEquals(List.of("started", "error"), published.statuses());
        Frame error = published.frames().getLast();
        assertEquals("429 insufficient_quota", error.errorDetails());
        assertTrue(error.jsonAfterSeq(false).contains("\"message\":\"The assistant is over quota\""));
    }

    @Test
    void a_url_with_credentials_in_a_failure_reaches_the_error_frame_and_the_outcome_without_them() throws Exception {
        backend.failWith(new AnswerFailedException("The assistant could not be reached",
                "a gateway said: no route to https://sk-user:s3cret@10.0.0.7:8443/v1"));
        Outcome outcome = answer("c", "m1", "hello");
        assertEquals("a gateway said: no route to https://10.0.0.7:8443/v1", published.frames().getLast().errorDetails());
        assertEquals("a gateway said: no route to https://10.0.0.7:8443/v1", outcome.failure(),
                "the dead letter's reason is as safe");
    }

    @Test
    void frames_that_cannot_be_published_end_the_answer_as_an_outage_not_as_an_answer() throws Exception {
        answer("c", "m1", "warm up");
        int before = published.frames().size();
        published.failFrom(before + 2); // started and responding go out, then Redis is away
        assertThrows(RedisException.class, () -> answer("c", "m2", "a longer answer than that"));
        assertEquals(List.of("started", "responding"), published.statuses().subList(before, published.frames().size()),
                "no terminal frame: the delivery goes back to the queue");
    }
}
