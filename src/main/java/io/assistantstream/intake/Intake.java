package io.assistantstream.intake;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.lettuce.core.RedisException;

import io.assistantstream.answer.Outcome;
import io.assistantstream.answer.Responder;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.Frame;
import io.assistantstream.frames.FramePublisher;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.RelayUnavailableException;
import io.assistantstream.frames.Status;
import io.assistantstream.lease.ChannelLease;
import io.assistantstream.lease.LeaseUnavailableException;
import io.assistantstream.observe.Meters;
import io.assistantstream.store.AnsweredMessages;

/**
 * Takes deliveries from RabbitMQ and sees each to its end: validated in arrival order, answered on
 * its own virtual thread once its channel's lease is held, then acknowledged only after its terminal
 * frame is out. Invalid input and failed answers go to the dead-letter queue with the reason in the
 * {@value #REASON_HEADER} header; a delivery that meets an infrastructure failure (Redis down, the
 * relay's buffer full) goes back to the queue after a pause, so nothing is lost. Prefetch equals the
 * configured concurrency.
 * Connection and topology recovery are amqp-client's own.
 */
public final class Intake implements AutoCloseable {
    /** The header that says why a message was dead-lettered. */
    public static final String REASON_HEADER = "x-assistant-stream-reason";
    private static final Logger LOG = Logger.getLogger(Intake.class.getName());

    private final Settings.Rabbit rabbit;
    private final RequestParser parser;
    private final ChannelLease lease;
    private final Responder responder;
    private final FramePublisher publisher;
    private final AnsweredMessages answered;
    private final Duration leaseWait;
    private final Duration requeueDelay;
    private final Phaser inFlight = new Phaser(1);
    /** The threads answering now, to interrupt those still running when the grace of a stop ends. */
    private final Set<Thread> answering = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private final AtomicLong deliveries = new AtomicLong();
    private final ReentrantLock deadLetterLock = new ReentrantLock();
    private final ExecutorService dispatch = Executors.newVirtualThreadPerTaskExecutor();
    private Connection connection;
    private Channel consuming;
    private volatile Channel deadLetters;
    private volatile Channel probe;
    private volatile String consumerTag;
    /** Whether the broker delivers to the consumer now: false before start, while recovering, after a cancel. */
    private volatile boolean consumerActive;

    public Intake(Settings.Rabbit rabbit, ChannelLease lease, Responder responder, FramePublisher publisher,
                  AnsweredMessages answered, Duration leaseWait, Duration requeueDelay) {
        this.rabbit = rabbit;
        this.parser = new RequestParser(rabbit.maxIdChars(), rabbit.maxMessageBytes());
        this.lease = lease;
        this.responder = responder;
        this.publisher = publisher;
        this.answered = answered;
        this.leaseWait = leaseWait;
        this.requeueDelay = requeueDelay;
    }

    /** Connects, declares the topology and starts consuming. */
    public void start() throws IOException, TimeoutException {
        ConnectionFactory factory = Topology.connectionFactory(rabbit);
        factory.setSharedExecutor(dispatch);
        connection = factory.newConnection("assistant-stream");
        ((Recoverable) connection).addRecoveryListener(new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recovered) {
                Meters.RABBITMQ_RECONNECTS.increment();
                LOG.info("RabbitMQ connection recovered");
            }

            @Override
            public void handleRecoveryStarted(Recoverable recovering) {
                LOG.warning("RabbitMQ connection lost; recovering");
            }
        });
        consuming = connection.createChannel();
        try {
            Topology.declare(consuming, rabbit);
        } catch (IOException e) {
            throw new IOException("Could not declare the RabbitMQ topology (an existing queue with other "
                    + "arguments? see QUEUE_MAX_PRIORITY and QUEUE_MESSAGE_TTL_MS): " + rootMessage(e), e);
        }
        deadLetters = connection.createChannel();
        deadLetters.confirmSelect();
        consuming.basicQos(rabbit.concurrency());
        consumerTag = consuming.basicConsume(rabbit.queue(), false, new DefaultConsumer(consuming) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                accept(envelope.getDeliveryTag(), properties, body);
            }

            @Override
            public void handleConsumeOk(String tag) {
                consumerActive = true;
            }

            @Override
            public void handleRecoverOk(String tag) {
                consumerActive = true;
            }

            @Override
            public void handleCancel(String tag) {
                consumerActive = false;
                LOG.warning("The broker cancelled the consumer of " + rabbit.queue() + " (queue deleted?)");
            }

            @Override
            public void handleCancelOk(String tag) {
                consumerActive = false;
            }

            @Override
            public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
                consumerActive = false;
            }
        });
        LOG.info("Consuming " + rabbit.queue() + " with prefetch " + rabbit.concurrency());
    }

    /**
     * Called for each delivery in arrival order, on amqp-client's dispatch: validates and takes the
     * channel's place in line here, so per-channel order is the queue's order; the answer itself
     * runs on a new virtual thread.
     */
    private void accept(long tag, AMQP.BasicProperties properties, byte[] body) {
        long arrived = System.nanoTime();
        Meters.DELIVERIES_RECEIVED.increment();
        inFlight.register();
        String name = "delivery-" + deliveries.incrementAndGet();
        ChatRequest request;
        try {
            request = parser.parse(body, properties.getContentType());
        } catch (RejectedRequestException rejected) {
            Thread.ofVirtual().name(name).start(() -> reject(tag, properties, body, rejected));
            return;
        }
        try {
            ChannelLease.Ticket ticket = lease.enqueue(request.channel());
            Thread.ofVirtual().name(name).start(() -> answer(tag, properties, body, request, ticket, arrived));
        } catch (RuntimeException redisDown) {
            Thread.ofVirtual().name(name).start(() -> {
                try {
                    requeue(tag, request, redisDown);
                } finally {
                    inFlight.arriveAndDeregister();
                }
            });
        }
    }

    /**
     * Answers one delivery and settles it exactly once: ack, dead-letter or requeue. A delivery
     * whose thread is interrupted (shutdown) is requeued, so none is left unacknowledged.
     */
    private void answer(long tag, AMQP.BasicProperties properties, byte[] body, ChatRequest request,
                        ChannelLease.Ticket ticket, long arrived) {
        boolean settled = false;
        answering.add(Thread.currentThread());
        try (ticket) {
            ticket.acquire(leaseWait);
            if (stopping) { // its turn came after the stop began: the next instance answers it
                return;
            }
            long leased = System.nanoTime();
            Meters.QUEUE_WAIT.record(Duration.ofNanos(leased - arrived));
            Optional<String> earlier = answered.completedFrame(request.channel(), request.messageId());
            if (earlier.isPresent()) {
                repeat(request, earlier.get());
                settled = true;
                ack(tag);
                return;
            }
            Meters.ANSWERS_IN_FLIGHT.incrementAndGet();
            Outcome outcome;
            try {
                outcome = responder.answer(request, arrived);
            } finally {
                Meters.ANSWERS_IN_FLIGHT.decrementAndGet();
            }
            settled = true;
            if (outcome.completed()) {
                ack(tag);
                Meters.DELIVERIES_COMPLETED.increment();
            } else {
                Meters.deliveriesFailed("answer_failed").increment();
                deadLetter(tag, properties, body, "answer failed: " + outcome.failure());
            }
            long done = System.nanoTime();
            Meters.ANSWER_DURATION.record(Duration.ofNanos(done - arrived));
            LOG.info(() -> "Answered message " + request.messageId() + " of channel " + request.channel() + ": "
                    + (outcome.completed() ? "completed" : "error (" + outcome.failure() + ")")
                    + " in thread " + outcome.threadId() + "; waited " + millis(leased - arrived) + " ms, first text "
                    + (outcome.firstTextNanos() == 0 ? "none" : millis(outcome.firstTextNanos() - arrived) + " ms")
                    + ", total " + millis(done - arrived) + " ms");
        } catch (LeaseUnavailableException | RedisException | RelayUnavailableException e) {
            settled = true;
            requeue(tag, request, e);
        } catch (RuntimeException bug) {
            // not an outage: requeueing would repeat it forever, so the message is set aside with the reason
            settled = true;
            Meters.deliveriesFailed("internal_error").increment();
            LOG.log(Level.SEVERE, "Unexpected failure answering message " + request.messageId(), bug);
            sendError(request.channel(), request.messageId(), "Internal error", bug.toString());
            deadLetter(tag, properties, body, "internal error: " + bug);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answering.remove(Thread.currentThread());
            if (!settled) {
                Meters.deliveriesFailed("requeued").increment();
                nack(tag);
            }
            inFlight.arriveAndDeregister();
        }
    }

    /**
     * A redelivery of a message answered already (its acknowledgement was lost): no new answer, no
     * call to the model; its {@code completed} frame goes out again, for clients that missed it.
     */
    private void repeat(ChatRequest request, String completedFrame) {
        try {
            publisher.publishAgain(request.channel(), completedFrame).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        Meters.DELIVERIES_REPEATED.increment();
        LOG.info(() -> "Message " + request.messageId() + " of channel " + request.channel() + " was answered "
                + "already: acknowledged with its final frame sent again, and no new answer");
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** Acks; if the channel is gone the broker redelivers, which is all that can be done. */
    private void ack(long tag) {
        try {
            consuming.basicAck(tag, false);
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not ack; the broker will redeliver: " + rootMessage(e));
        }
    }

    private void nack(long tag) {
        try {
            consuming.basicNack(tag, false, true);
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not requeue; the broker will redeliver: " + rootMessage(e));
        }
    }

    private void reject(long tag, AMQP.BasicProperties properties, byte[] body, RejectedRequestException rejected) {
        Meters.deliveriesFailed("invalid_input").increment();
        try {
            LOG.warning("Rejected delivery (channel " + rejected.channel() + "): " + rejected.getMessage());
            if (rejected.channel() != null) {
                sendError(rejected.channel(), rejected.messageId(), "Invalid request", rejected.getMessage());
            }
            deadLetter(tag, properties, body, "invalid input: " + rejected.getMessage());
        } finally {
            inFlight.arriveAndDeregister();
        }
    }

    /** An error frame for a delivery that the responder did not end; best effort, the dead-letter follows anyway. */
    private void sendError(String channel, String messageId, String message, String details) {
        try {
            publisher.publish(new Frame(channel, messageId, null, Status.ERROR, JsonText.of(message), null, details,
                    System.currentTimeMillis())).toCompletableFuture().join();
        } catch (RuntimeException e) {
            LOG.warning("Could not send an error frame to channel " + channel + ": " + e.getMessage());
        }
    }

    /**
     * Publishes the message to the dead-letter exchange with the reason (waiting for the broker's
     * confirm), then acks it. If that fails, rejects it, and the queue's own dead-lettering moves it.
     */
    private void deadLetter(long tag, AMQP.BasicProperties properties, byte[] body, String reason) {
        Map<String, Object> headers = new HashMap<>(properties.getHeaders() == null ? Map.of() : properties.getHeaders());
        headers.put(REASON_HEADER, reason.length() > 1_000 ? reason.substring(0, 1_000) + "…" : reason);
        AMQP.BasicProperties marked = properties.builder().headers(headers).build();
        deadLetterLock.lock();
        try {
            if (!deadLetters.isOpen()) {
                deadLetters = connection.createChannel();
                deadLetters.confirmSelect();
            }
            deadLetters.basicPublish(rabbit.deadLetterExchange(), rabbit.routingKey(), marked, body);
            if (!deadLetters.waitForConfirms(5_000)) {
                throw new IOException("the broker refused the dead-letter copy");
            }
            ack(tag);
            Meters.DELIVERIES_DEAD_LETTERED.increment();
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            LOG.log(Level.WARNING, "Could not dead-letter with a reason; rejecting instead: " + rootMessage(e));
            try {
                consuming.basicReject(tag, false);
            } catch (IOException | RuntimeException again) {
                LOG.warning("Could not reject either; the broker will redeliver: " + rootMessage(again));
            }
        } finally {
            deadLetterLock.unlock();
        }
    }

    private void requeue(long tag, ChatRequest request, Exception cause) {
        Meters.deliveriesFailed("requeued").increment();
        LOG.warning("Requeueing message " + request.messageId() + " of channel " + request.channel()
                + " after " + requeueDelay.toMillis() + " ms: " + rootMessage(cause));
        try {
            Thread.sleep(requeueDelay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        nack(tag);
    }

    /** Whether deliveries can arrive: the connection open and the consumer registered with the broker. */
    public boolean consuming() {
        return consumerActive && connection != null && connection.isOpen() && consuming.isOpen();
    }

    /** A round trip to the broker: the messages ready in the queue. */
    public long messagesReady() throws IOException {
        Channel current = probe;
        if (current == null || !current.isOpen()) {
            current = connection.createChannel();
            probe = current;
        }
        return current.messageCount(rabbit.queue());
    }

    /**
     * Stops taking deliveries, waits up to {@code grace} for answers in flight, then closes the
     * connection; whatever is still unacknowledged goes back to the queue.
     */
    public void stop(Duration grace) {
        stopping = true;
        try {
            if (consumerTag != null && consuming.isOpen()) {
                consuming.basicCancel(consumerTag);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not cancel the consumer cleanly: " + rootMessage(e));
        }
        try {
            inFlight.awaitAdvanceInterruptibly(inFlight.arrive(), grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warning(answering.size() + " answers still in flight after " + grace + "; they are stopped and go "
                    + "back to the queue");
            answering.forEach(Thread::interrupt); // their leases are released as they end
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    /**
     * Closes the connection; unacknowledged deliveries go back to the queue. The dispatch executor
     * is left open: it holds no threads when idle, and amqp-client still hands it the shutdown
     * notifications after the connection is gone.
     */
    @Override
    public void close() {
        if (connection != null) {
            connection.abort(2_000);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }
}
