package io.assistantstream.intake;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.AMQP;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeliveryRepliesTest {
    private static final String COMPLETED = "{\"seq\":12,\"timestamp\":1.5,\"status\":\"completed\",\"type\":\"response\","
            + "\"final_message\":true,\"message_id\":\"msg-9\",\"thread_id\":\"conv_1\",\"channel\":\"c\",\"message\":\"hi\"}";

    private final RecordedSettlement broker = new RecordedSettlement();
    private final AtomicInteger released = new AtomicInteger();

    private Delivery delivery(long tag, String replyTo, String correlationId) {
        return new Delivery(tag, new AMQP.BasicProperties.Builder().replyTo(replyTo).correlationId(correlationId).build(),
                new byte[0], 0, broker, released::incrementAndGet);
    }

    @Test
    void an_ack_publishes_the_reply_first_with_the_correlation_id() {
        Delivery delivery = delivery(1, "replies", "corr-1");
        delivery.replyWith(COMPLETED);
        assertTrue(delivery.ack());
        assertEquals(List.of("reply to replies (correlation corr-1): " + COMPLETED, "ack 1"), broker.settlements());
    }

    @Test
    void a_dead_letter_publishes_the_reply_first() {
        Delivery delivery = delivery(2, "replies", "corr-2");
        delivery.replyWith(COMPLETED);
        assertTrue(delivery.deadLetter("answer failed: quota"));
        assertEquals(List.of("reply to replies (correlation corr-2): " + COMPLETED, "dead-letter 2: answer failed: quota"),
                broker.settlements());
    }

    @Test
    void without_a_correlation_id_the_reply_is_correlated_by_the_message_id_its_frame_names() {
        Delivery delivery = delivery(3, "replies", null);
        delivery.replyWith(COMPLETED);
        assertTrue(delivery.ack());
        assertEquals("reply to replies (correlation msg-9): " + COMPLETED, broker.settlements().getFirst());
    }

    @Test
    void the_message_id_is_read_from_a_frame_whatever_comes_before_it_and_null_when_there_is_none() {
        assertEquals("m", Delivery.messageIdOf("{\"seq\":1,\"nested\":{\"message_id\":\"no\"},\"list\":[1,{}],\"message_id\":\"m\"}"));
        assertNull(Delivery.messageIdOf("{\"seq\":1,\"message_id\":null,\"channel\":null}"));
        assertNull(Delivery.messageIdOf("{\"timestamp\":1.5,\"status\":\"error\"}"));
        assertNull(Delivery.messageIdOf("not json"));
    }

    @Test
    void a_delivery_without_reply_to_or_without_a_frame_replies_nothing() {
        Delivery unasked = delivery(4, null, "corr");
        unasked.replyWith(COMPLETED);
        assertTrue(unasked.ack());
        assertTrue(delivery(5, "replies", "corr").ack());
        assertEquals(List.of("ack 4", "ack 5"), broker.settlements());
    }

    @Test
    void a_requeue_never_replies() {
        Delivery delivery = delivery(6, "replies", "corr");
        delivery.replyWith(COMPLETED);
        assertTrue(delivery.requeue());
        assertEquals(List.of("requeue 6"), broker.settlements());
    }

    @Test
    void a_reply_that_cannot_be_published_sends_the_delivery_back_and_nothing_is_acknowledged() {
        broker.refuseReplies(true);
        Delivery delivery = delivery(7, "replies", "corr");
        delivery.replyWith(COMPLETED);
        long start = System.nanoTime();
        assertFalse(delivery.ack(), "not acknowledged");
        assertTrue(System.nanoTime() - start >= Delivery.REPLY_FAILED_PAUSE.toNanos(), "back after a pause");
        assertTrue(delivery.settled());
        assertFalse(delivery.deadLetter("too late"));
        assertEquals(List.of("requeue 7"), broker.settlements());
        assertEquals(1, released.get());
    }

    @Test
    void an_interrupted_delivery_whose_reply_fails_goes_back_at_once_and_keeps_its_interrupt() {
        broker.refuseReplies(true);
        Delivery delivery = delivery(8, "replies", "corr");
        delivery.replyWith(COMPLETED);
        Thread.currentThread().interrupt();
        long start = System.nanoTime();
        try {
            assertFalse(delivery.deadLetter("answer failed"));
            assertTrue(System.nanoTime() - start < Delivery.REPLY_FAILED_PAUSE.toNanos(), "no pause");
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
        assertEquals(List.of("requeue 8"), broker.settlements());
    }
}
