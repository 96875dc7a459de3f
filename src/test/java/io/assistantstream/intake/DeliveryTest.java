package io.assistantstream.intake;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.AMQP;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeliveryTest {
    private final RecordedSettlement broker = new RecordedSettlement();
    private final AtomicInteger released = new AtomicInteger();

    private Delivery delivery(long tag) {
        return new Delivery(tag, new AMQP.BasicProperties(), new byte[0], 0, broker, released::incrementAndGet);
    }

    @Test
    void the_first_settlement_wins_and_every_later_one_is_refused() {
        Delivery delivery = delivery(7);
        assertFalse(delivery.settled());
        assertTrue(delivery.deadLetter("answer failed: quota"));
        assertFalse(delivery.ack());
        assertFalse(delivery.requeue());
        assertFalse(delivery.deadLetter("again"));
        assertTrue(delivery.settled());
        assertEquals(List.of("dead-letter 7: answer failed: quota"), broker.settlements());
        assertEquals(1, released.get(), "the in-flight count is released once");
    }

    @Test
    void each_kind_of_settlement_reaches_the_broker_with_the_deliverys_tag() {
        assertTrue(delivery(1).ack());
        assertTrue(delivery(2).requeue());
        assertTrue(delivery(3).deadLetter("invalid input: not JSON"));
        assertEquals(List.of("ack 1", "requeue 2", "dead-letter 3: invalid input: not JSON"), broker.settlements());
        assertEquals(3, released.get());
    }

    @Test
    void threads_racing_to_settle_one_delivery_settle_it_once() throws InterruptedException {
        Delivery delivery = delivery(9);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger winners = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean ack = i % 2 == 0;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (ack ? delivery.ack() : delivery.requeue()) {
                    winners.incrementAndGet();
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1, winners.get());
        assertEquals(1, broker.settlements().size());
        assertEquals(1, released.get());
    }
}
