package io.assistantstream.frames;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnswerFramesTest {
    private final RecordedFrames published = new RecordedFrames();
    private final Clock clock = Clock.fixed(Instant.parse("2026-12-06T08:00:00Z"), ZoneOffset.UTC);

    private AnswerFrames frames(int batchChars) {
        return new AnswerFrames(published, clock, "c", "m", batchChars, Duration.ofSeconds(60));
    }

    @Test
    void an_answer_goes_out_as_started_processing_responding_in_progress_and_completed() {
        AnswerFrames frames = frames(5);
        frames.started();
        assertTrue(frames.processing());
        assertTrue(frames.text("Hello"));
        assertTrue(frames.text(", "));
        assertTrue(frames.text("world"));
        frames.completed();
        assertEquals(List.of("started", "processing", "responding", "in_progress", "in_progress", "completed"),
                published.statuses());
    }

    @Test
    void the_first_text_goes_at_once_then_batches_fill_and_the_rest_goes_before_completed() {
        AnswerFrames frames = frames(5);
        frames.text("a");
        frames.text("bc");
        frames.text("def");
        frames.text("g");
        frames.completed();
        List<String> deltas = published.frames().stream()
                .filter(frame -> frame.status() == Status.IN_PROGRESS).map(Frame::delta).toList();
        assertEquals(List.of("a", "bcdef", "g"), deltas);
        assertEquals("abcdefg", String.join("", deltas), "the deltas add up to the answer");
        assertTrue(published.frames().getLast().jsonAfterSeq(false).contains("\"message\":\"abcdefg\""));
    }

    @Test
    void a_frame_that_cannot_be_published_stops_the_answer_as_a_value_and_its_end_throws() {
        AnswerFrames frames = frames(1);
        assertTrue(frames.text("one"));
        published.failFrom(published.frames().size());
        assertFalse(frames.text("two"), "the backend learns that the frames reach no one");
        assertFalse(frames.text("three"));
        assertFalse(frames.processing());
        assertThrows(RedisException.class, frames::completed);
        assertEquals(List.of("responding", "in_progress"), published.statuses(), "nothing after the failure");
    }
}
