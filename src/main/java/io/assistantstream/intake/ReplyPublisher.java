package io.assistantstream.intake;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;

import io.assistantstream.observe.Meters;

/**
 * Publishes the replies to producers that ask for one ({@code reply_to}): a delivery's terminal frame,
 * to the default exchange with the {@code reply_to} queue as routing key, on a channel of its own in
 * confirm mode. {@link #publish} returns only once the broker confirmed the reply, so a delivery is
 * settled only after its reply is the broker's.
 *
 * <p>Many deliveries reply at once. Publishing is serialized (a channel numbers its publishes for
 * confirms in the order they are sent), but each reply awaits its own confirm outside the lock, so the
 * broker confirms concurrent replies together and one slow confirm holds up no other reply's publish.
 * (Dead-lettering, rare, publishes and waits under one lock instead.)
 *
 * <p>A reply to a queue that does not exist is unroutable: RabbitMQ drops it and confirms it all the
 * same. That is taken as published, not as a failure: sending the delivery back to the queue would only
 * repeat it, forever. The reply is published {@code mandatory}, so the broker hands it back, and a
 * warning names the queue.
 */
final class ReplyPublisher {
    private static final Logger LOG = Logger.getLogger(ReplyPublisher.class.getName());

    private final Connection connection;
    private final Meters meters;
    private final Duration confirmTimeout;
    private final ReentrantLock publishing = new ReentrantLock();
    /** Replies published and not confirmed yet, by the channel's publish sequence number. */
    private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> unconfirmed = new ConcurrentSkipListMap<>();
    /** Guarded by {@link #publishing}. */
    private Channel channel;

    /** Opens the reply channel on {@code connection}. */
    ReplyPublisher(Connection connection, Duration confirmTimeout, Meters meters) throws IOException {
        this.connection = connection;
        this.confirmTimeout = confirmTimeout;
        this.meters = meters;
        this.channel = open();
    }

    /**
     * Publishes {@code json} to the queue {@code replyTo} through the default exchange, with
     * {@code correlationId} (none when null), and waits for the broker's confirm.
     *
     * @throws IOException when the broker refused the reply, did not confirm it in time, or could not be
     *                     reached
     * @throws InterruptedException when interrupted while waiting for the confirm (the reply may still
     *                              arrive)
     */
    void publish(String replyTo, String correlationId, String json) throws IOException, InterruptedException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding(StandardCharsets.UTF_8.name())
                .correlationId(correlationId).deliveryMode(2).build();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        long seq = 0;
        publishing.lock();
        try {
            if (!channel.isOpen()) { // closed by a channel error; a connection's recovery reopens it by itself
                channel = open();
            }
            seq = channel.getNextPublishSeqNo();
            CompletableFuture<Void> stale = unconfirmed.put(seq, confirmed);
            if (stale != null) { // the channel was recovered, numbering anew, before its closing failed the rest
                stale.completeExceptionally(new IOException("the reply channel closed before the broker confirmed"));
            }
            channel.basicPublish("", replyTo, true, properties, body);
        } catch (IOException | RuntimeException e) { // AlreadyClosedException while the connection is down
            unconfirmed.remove(seq, confirmed);
            meters.repliesFailed().increment();
            throw e instanceof IOException io ? io : new IOException(QueueConsumer.rootMessage(e), e);
        } finally {
            publishing.unlock();
        }
        try {
            confirmed.get(confirmTimeout.toMillis(), TimeUnit.MILLISECONDS);
            meters.repliesPublished().increment();
        } catch (ExecutionException e) {
            meters.repliesFailed().increment();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            unconfirmed.remove(seq, confirmed);
            meters.repliesFailed().increment();
            throw new IOException("the broker did not confirm the reply within " + confirmTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            unconfirmed.remove(seq, confirmed);
            meters.repliesFailed().increment();
            throw e;
        }
    }

    private Channel open() throws IOException {
        Channel opened = connection.createChannel();
        if (opened == null) {
            throw new IOException("no channel left on the RabbitMQ connection for replies");
        }
        opened.confirmSelect();
        opened.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
                settle(tag, multiple, null);
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                settle(tag, multiple, new IOException("the broker refused the reply (basic.nack)"));
            }
        });
        opened.addReturnListener(returned -> LOG.warning("A reply to queue " + returned.getRoutingKey()
                + " could not be routed (" + returned.getReplyText() + "): RabbitMQ dropped it. Does the queue exist?"));
        opened.addShutdownListener(cause -> {
            // every reply still waiting fails at once; after a recovery the channel numbers its publishes anew
            IOException closed = new IOException("the reply channel closed: " + QueueConsumer.rootMessage(cause));
            settle(Long.MAX_VALUE, true, closed);
        });
        return opened;
    }

    /** Completes the reply numbered {@code tag} (and, if {@code multiple}, every one before it); fails them with {@code refused}. */
    private void settle(long tag, boolean multiple, IOException refused) {
        Map<Long, CompletableFuture<Void>> done = multiple ? unconfirmed.headMap(tag, true) : null;
        if (done == null) {
            CompletableFuture<Void> one = unconfirmed.remove(tag);
            if (one != null) {
                complete(one, refused);
            }
            return;
        }
        for (Map.Entry<Long, CompletableFuture<Void>> entry : done.entrySet()) {
            if (unconfirmed.remove(entry.getKey(), entry.getValue())) {
                complete(entry.getValue(), refused);
            }
        }
    }

    private static void complete(CompletableFuture<Void> reply, IOException refused) {
        if (refused == null) {
            reply.complete(null);
        } else {
            reply.completeExceptionally(refused);
        }
    }
}
