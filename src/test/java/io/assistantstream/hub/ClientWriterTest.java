package io.assistantstream.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.assistantstream.frames.Frame;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.NumberedFrame;
import io.assistantstream.frames.Status;
import io.assistantstream.observe.Meters;
import io.assistantstream.testing.TestMeters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that stops reading for a while, on an in-memory session: it catches up with merged frames,
 * and only one that cannot even so is closed with 1013. Counts are read as deltas of the process's meters.
 */
class ClientWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final boolean WHOLE = false;
    private static final String ACK = "{\"type\":\"subscribed\",\"channel\":\"c\"}";

    private final RecordedSession session = new RecordedSession();
    private final Meters meters = TestMeters.fresh();
    private final AtomicInteger left = new AtomicInteger();
    private ClientWriter writer;

    @AfterEach
    void stop() {
        session.resume();
        writer.stop();
    }

    /** A writer of 8 KB whose client stops reading once the writer took its acknowledgement. */
    private void pausedClient() throws InterruptedException {
        session.pause();
        writer = new ClientWriter(session, 8 * 1024, Duration.ofMinutes(10), left::incrementAndGet, meters);
        assertTrue(writer.offer(ACK));
        session.awaitWaitingSend(); // the writer took it, and waits: the client does not read
    }

    private static NumberedFrame frame(long seq, String message, Status status, String text, String delta) {
        return NumberedFrame.of(seq, new Frame("c", message, "conv_1", status, JsonText.of(text), delta, null,
                1_000L * seq));
    }

    @Test
    void a_paused_client_catches_up_with_the_whole_text_once_it_reads_again() throws Exception {
        double coalescedBefore = meters.websocketFramesCoalesced().count();
        pausedClient();
        assertTrue(writer.offer(frame(1, "m", Status.STARTED, "", null), WHOLE));
        StringBuilder text = new StringBuilder();
        long seq = 1;
        for (int i = 1; i <= 300; i++) { // some 300 KB of frames: each holds the text so far
            String word = "w" + i + " ";
            text.append(word);
            assertTrue(writer.offer(frame(++seq, "m", Status.IN_PROGRESS, text.toString(), word), WHOLE), "frame " + i);
        }
        assertTrue(writer.offer(frame(++seq, "m", Status.COMPLETED, text.toString(), null), WHOLE));
        assertTrue(meters.websocketFramesCoalesced().count() > coalescedBefore, "frames were merged");

        session.resume();
        assertEquals(ACK, session.next());
        List<JsonNode> frames = new ArrayList<>();
        do {
            frames.add(JSON.readTree(session.next()));
        } while (!frames.getLast().get("status").asText().equals("completed"));
        assertTrue(frames.size() < 300, "fewer frames: " + frames.size());
        StringBuilder deltas = new StringBuilder();
        String lastMessage = null;
        long lastSeq = 0;
        for (JsonNode frame : frames) {
            assertTrue(frame.get("seq").asLong() > lastSeq, "in order");
            lastSeq = frame.get("seq").asLong();
            if (frame.get("status").asText().equals("in_progress")) {
                deltas.append(frame.get("delta").asText());
                lastMessage = frame.get("message").asText();
            }
        }
        assertEquals(text.toString(), deltas.toString(), "the deltas add up to the text");
        assertEquals(text.toString(), lastMessage, "the last in_progress frame holds the whole text");
        assertEquals(text.toString(), frames.getLast().get("message").asText());
        assertEquals(seq, lastSeq);
        assertTrue(session.quietFor(200), "not closed");
        assertEquals(0, left.get(), "still in the hub");
        assertTrue(writer.offer(ACK), "still taking frames");
    }

    @Test
    void a_paused_client_that_cannot_catch_up_even_with_its_frames_merged_is_closed_with_1013() throws Exception {
        double dropsBefore = meters.websocketSlowClientDrops().count();
        pausedClient();
        int offered = 0;
        boolean refused = false;
        while (!refused && offered < 100) { // answers that ended: nothing to merge
            offered++;
            refused = !writer.offer(frame(offered, "m" + offered, Status.COMPLETED, "x".repeat(500), null), WHOLE);
        }
        assertTrue(refused, "refused once some 8 KB of completed frames wait");
        assertTrue(offered > 5, "not before: " + offered);
        assertFalse(writer.offer(ACK), "a client being dropped takes nothing more");
        assertEquals(dropsBefore + 1, meters.websocketSlowClientDrops().count());
        long until = System.nanoTime() + 5_000_000_000L;
        while (left.get() == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(1, left.get(), "out of the hub at once, before its close frame could be written");

        session.resume(); // the writer's send and the close frame go through, in either order
        List<String> sent = List.of(session.next(), session.next());
        assertTrue(sent.contains(ACK), sent.toString());
        assertTrue(sent.contains("close 1013 too slow: frames were not read"), sent.toString());
        assertTrue(session.quietFor(200), "its queued frames were dropped");
    }
}
