package io.assistantstream.sending;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LivenessTest {
    private static final long SECOND = 1_000_000_000L;
    private final Liveness liveness = new Liveness(Duration.ofSeconds(1));
    private final long start = System.nanoTime();

    @Test
    void a_ping_is_due_once_an_interval_has_passed_since_the_last() {
        assertFalse(liveness.pingDue(start + SECOND / 2));
        assertTrue(liveness.pingDue(start + SECOND + 1));
        assertFalse(liveness.pingDue(start + SECOND + 2), "it counts as sent");
        assertTrue(liveness.pingDue(start + 2 * SECOND + 2));
    }

    @Test
    void a_peer_silent_for_two_intervals_after_a_ping_it_was_sent_is_gone() {
        liveness.pingWritten();
        long written = System.nanoTime();
        assertFalse(liveness.gone(written + SECOND), "within two intervals of last hearing from it");
        assertTrue(liveness.gone(written + 2 * SECOND + 1));
        assertEquals(2000, liveness.unansweredMillis(written + 2 * SECOND), 5);
    }

    @Test
    void a_peer_that_could_not_even_be_pinged_is_not_gone() {
        assertFalse(liveness.gone(start + 10 * SECOND), "no ping was written: silence proves nothing");
    }

    @Test
    void hearing_from_the_peer_answers_every_ping_pending() {
        liveness.pingWritten();
        liveness.heard();
        assertFalse(liveness.gone(System.nanoTime() + 2 * SECOND + 1), "heard after the ping");
        assertEquals(0, liveness.unansweredMillis(System.nanoTime()));
    }

    @Test
    void a_restart_forgets_the_old_connections_silence() {
        liveness.pingWritten();
        liveness.restart();
        assertFalse(liveness.gone(System.nanoTime() + 5 * SECOND));
    }
}
