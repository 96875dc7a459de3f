package io.assistantstream.sending;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrderedSenderTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    private final List<Integer> failed = new CopyOnWriteArrayList<>();

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "timed out");
    }

    /** A sender, one item at a time, that says when it is sending ({@code blocked}) and waits for {@code release}. */
    private OrderedSender<Integer> heldSender(int capacity, CountDownLatch blocked, CountDownLatch release) {
        return OrderedSender.virtual("test", capacity, 1, OrderedSender.NO_IDLE_WORK, batch -> {
            blocked.countDown();
            release.await();
            batches.add(List.copyOf(batch));
        }, failed::add);
    }

    private List<Integer> sent() {
        List<Integer> all = new ArrayList<>();
        batches.forEach(all::addAll);
        return all;
    }

    @Test
    void items_offered_from_one_thread_are_sent_in_that_order_in_batches_of_at_most_the_batch_size()
            throws InterruptedException {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OrderedSender<Integer> sender = OrderedSender.virtual("test", 100, 3, OrderedSender.NO_IDLE_WORK, batch -> {
            batches.add(List.copyOf(batch));
            if (batches.size() == 1) {
                blocked.countDown();
                release.await();
            }
        }, failed::add);
        sender.offer(0);
        await(blocked); // the first batch is being sent: the next ones queue up
        for (int i = 1; i <= 7; i++) {
            assertTrue(sender.offer(i));
        }
        release.countDown();
        assertTrue(sender.finish(WAIT));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), sent());
        assertEquals(List.of(List.of(0), List.of(1, 2, 3), List.of(4, 5, 6), List.of(7)), batches);
    }

    @Test
    void a_lingering_sender_gathers_items_offered_apart_into_one_batch_and_a_flush_sends_at_once()
            throws InterruptedException {
        OrderedSender<Integer> sender = OrderedSender.<Integer>virtual("test", 100, 10, OrderedSender.NO_IDLE_WORK,
                batch -> batches.add(List.copyOf(batch)), failed::add).lingering(Duration.ofMillis(300));
        for (int i = 1; i <= 3; i++) {
            sender.offer(i);
            Thread.sleep(20);
        }
        long until = System.nanoTime() + WAIT.toNanos();
        while (batches.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(List.of(List.of(1, 2, 3)), batches, "three items 20 ms apart, one batch");
        long flushed = System.nanoTime();
        sender.offer(4);
        sender.flush();
        while (batches.size() < 2 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertEquals(List.of(4), batches.get(1));
        assertTrue(System.nanoTime() - flushed < TimeUnit.MILLISECONDS.toNanos(250), "a flush does not linger");
        assertTrue(sender.finish(WAIT));
    }

    @Test
    void past_the_capacity_an_offer_is_refused_at_once_an_item_being_sent_still_counts_and_sent_ones_make_room()
            throws InterruptedException {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OrderedSender<Integer> sender = heldSender(2, blocked, release);
        assertTrue(sender.offer(1));
        await(blocked);
        assertTrue(sender.offer(2));
        assertFalse(sender.offer(3), "one being sent and one waiting fill a capacity of two");
        release.countDown();
        long until = System.nanoTime() + WAIT.toNanos();
        while (sent().size() < 2 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertTrue(sender.offer(4), "sent items give their place back");
        assertTrue(sender.offer(5));
        assertTrue(sender.finish(WAIT));
        assertEquals(List.of(1, 2, 4, 5), sent());
    }

    @Test
    void stopping_fails_every_item_still_queued_once_the_batch_being_sent_is_done() throws InterruptedException {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OrderedSender<Integer> sender = heldSender(10, blocked, release);
        sender.offer(1);
        await(blocked);
        sender.offer(2);
        sender.offer(3);
        sender.stop();
        assertFalse(sender.offer(4), "a stopped sender takes nothing more");
        release.countDown();
        long until = System.nanoTime() + WAIT.toNanos();
        while (failed.size() < 2 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(List.of(1), sent());
        assertEquals(List.of(2, 3), failed);
    }

    @Test
    void a_batch_that_fails_does_not_stop_the_sender() throws InterruptedException {
        CountDownLatch second = new CountDownLatch(1);
        OrderedSender<Integer> sender = OrderedSender.virtual("test", 10, 1, OrderedSender.NO_IDLE_WORK, batch -> {
            if (batch.getFirst() == 1) {
                throw new IllegalStateException("the socket is gone");
            }
            batches.add(List.copyOf(batch));
            second.countDown();
        }, failed::add);
        sender.offer(1);
        sender.offer(2);
        await(second);
        assertEquals(List.of(2), sent());
        sender.stop();
    }

    /** A sender whose idle work, every {@code tick}, is {@code idle}. */
    private OrderedSender<Integer> idleSender(Duration tick, Runnable idle) {
        return OrderedSender.virtual("test", 10, 1, tick, new OrderedSender.Sink<>() {
            @Override
            public void send(List<Integer> batch) {
                batches.add(batch);
            }

            @Override
            public void idle() {
                idle.run();
            }
        }, failed::add);
    }

    @Test
    void with_nothing_to_send_the_sink_does_its_idle_work_every_tick() throws InterruptedException {
        CountDownLatch ticks = new CountDownLatch(3);
        OrderedSender<Integer> sender = idleSender(Duration.ofMillis(20), ticks::countDown);
        await(ticks);
        sender.stop();
    }

    @Test
    void idle_work_runs_at_start_and_when_woken_rather_than_only_at_each_tick() throws InterruptedException {
        CountDownLatch atStart = new CountDownLatch(1);
        CountDownLatch both = new CountDownLatch(2);
        OrderedSender<Integer> sender = idleSender(Duration.ofHours(1), () -> {
            atStart.countDown();
            both.countDown();
        });
        await(atStart);
        sender.wake();
        await(both);
        sender.stop();
    }

    @Test
    void a_batch_whose_sending_fails_or_is_interrupted_fails_its_items() throws InterruptedException {
        CountDownLatch blocked = new CountDownLatch(1);
        OrderedSender<Integer> sender = OrderedSender.virtual("test", 10, 1, OrderedSender.NO_IDLE_WORK, batch -> {
            if (batch.getFirst() == 1) {
                throw new IllegalStateException("the socket is gone");
            }
            blocked.countDown();
            Thread.sleep(WAIT.toMillis());
        }, failed::add);
        sender.offer(1);
        sender.offer(2);
        await(blocked);
        sender.stopNow(WAIT);
        assertEquals(List.of(1, 2), failed, "the failed batch, then the one being sent when stopped");
    }

    @Test
    void items_offered_while_the_sink_is_not_ready_join_one_batch() throws InterruptedException {
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        OrderedSender<Integer> sender = OrderedSender.virtual("test", 10, 10, OrderedSender.NO_IDLE_WORK,
                new OrderedSender.Sink<>() {
                    @Override
                    public void beforeBatch() throws InterruptedException {
                        waiting.countDown();
                        ready.await();
                    }

                    @Override
                    public void send(List<Integer> batch) {
                        batches.add(List.copyOf(batch));
                        sent.countDown();
                    }
                }, failed::add);
        sender.offer(1);
        await(waiting);
        sender.offer(2);
        sender.offer(3);
        ready.countDown();
        await(sent);
        assertEquals(List.of(1, 2, 3), batches.getFirst());
        sender.stop();
    }
}
