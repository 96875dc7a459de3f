package io.assistantstream.frames;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a resuming client gets from the logged frames, the answer text and the frames not logged yet. */
class ReplayTest {
    private static NumberedFrame frame(long seq, String messageId, Status status, String message, String delta) {
        return NumberedFrame.of(seq, new Frame("c", messageId, "conv_1", status,
                message == null ? null : JsonText.of(message), delta, null, seq * 1000));
    }

    /** As the log keeps it: an in_progress frame without its message. */
    private static NumberedFrame logged(long seq, String messageId, String delta) {
        return frame(seq, messageId, Status.IN_PROGRESS, null, delta);
    }

    private static List<String> described(List<NumberedFrame> frames) {
        List<String> out = new ArrayList<>();
        for (NumberedFrame frame : frames) {
            Frame f = frame.frame();
            out.add(frame.seq() + " " + f.status().wire() + " " + (f.delta() == null ? "" : f.delta() + " ")
                    + f.message().escaped());
        }
        return out;
    }

    @Test
    void progress_is_coalesced_per_run_and_each_run_gets_the_text_it_ended_with() {
        List<NumberedFrame> log = List.of(
                frame(1, "m1", Status.STARTED, "Assistant is processing...", null),
                frame(2, "m1", Status.RESPONDING, "Assistant is responding...", null),
                logged(3, "m1", "Let me "), logged(4, "m1", "check. "),
                frame(5, "m1", Status.PROCESSING, "Assistant is gathering information...", null),
                logged(6, "m1", "Sunny"), logged(7, "m1", "!"),
                frame(8, "m1", Status.COMPLETED, "Let me check. Sunny!", null));
        assertEquals(List.of(
                "4 in_progress Let me check.  Let me check. ",
                "5 processing Assistant is gathering information...",
                "7 in_progress Sunny! Let me check. Sunny!",
                "8 completed Let me check. Sunny!"), described(Replay.of(log, null, null, List.of(), 2, true)));
    }

    @Test
    void a_gap_is_filled_frame_by_frame_each_with_the_text_it_ended_with() {
        List<NumberedFrame> log = List.of(logged(10, "m2", "b"), logged(11, "m2", "c"), logged(12, "m2", "d"));
        assertEquals(List.of("11 in_progress c abc", "12 in_progress d abcd"),
                described(Replay.of(log, "m2", "abcd", List.of(), 10, false)));
    }

    @Test
    void the_answer_in_progress_gets_its_text_from_the_answer_text_then_from_the_frames_not_logged_yet() {
        List<NumberedFrame> log = List.of(logged(10, "m2", "b"), logged(11, "m2", "c"));
        List<NumberedFrame> here = List.of(frame(11, "m2", Status.IN_PROGRESS, "abc", "c"),
                frame(12, "m2", Status.IN_PROGRESS, "abcd", "d"));
        assertEquals(List.of("12 in_progress bcd abcd"), described(Replay.of(log, "m2", "abc", here, 9, true)));
        assertEquals(List.of("12 in_progress cd abcd"), described(Replay.of(log, "m2", "abc", here, 10, true)));
    }

    @Test
    void an_answer_that_failed_and_was_followed_by_another_gets_the_text_of_the_deltas_replayed() {
        List<NumberedFrame> log = List.of(logged(20, "m3", "x"), logged(21, "m3", "y"),
                frame(22, "m3", Status.ERROR, "The assistant failed", null),
                frame(23, "m4", Status.STARTED, "Assistant is processing...", null),
                frame(24, "m4", Status.RESPONDING, "Assistant is responding...", null),
                logged(25, "m4", "ok"));
        assertEquals(List.of("21 in_progress xy xy", "22 error The assistant failed",
                        "23 started Assistant is processing...", "24 responding Assistant is responding...",
                        "25 in_progress ok ok"),
                described(Replay.of(log, "m4", "ok", List.of(), 19, true)));
    }

    @Test
    void an_answer_started_again_after_a_failure_does_not_carry_the_first_attempt_s_text() {
        List<NumberedFrame> log = List.of(
                frame(30, "m5", Status.RESPONDING, "Assistant is responding...", null), logged(31, "m5", "AB"),
                frame(32, "m5", Status.STARTED, "Assistant is processing...", null),
                frame(33, "m5", Status.RESPONDING, "Assistant is responding...", null), logged(34, "m5", "CD"),
                frame(35, "m5", Status.ERROR, "The assistant failed", null),
                frame(36, "m6", Status.RESPONDING, "Assistant is responding...", null), logged(37, "m6", "ok"));
        assertEquals("34 in_progress CD CD", described(Replay.of(log, "m6", "ok", List.of(), 29, true)).get(4));
    }
}
