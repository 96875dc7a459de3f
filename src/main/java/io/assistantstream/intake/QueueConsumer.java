package io.assistantstream.intake;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
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

import io.assistantstream.config.Settings;
import io.assistantstream.observe.Meters;

/**
 * The service's consumer of {@code QUEUE_NAME}: the connection (amqp-client recovers it and the
 * topology by itself), manual acknowledgements with a prefetch of the configured concurrency, and
 * the settling of each {@link Delivery}: acks, requeues, dead-letter copies published with
 * publisher confirms before the original is acknowledged, and replies to the producers that ask for
 * one, on a channel of their own ({@link ReplyPublisher}). It counts the deliveries not settled yet,
 * so that a stop can wait for them. It decides nothing about a message: that is {@link Intake}'s.
 */
final class QueueConsumer implements Settlement, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(QueueConsumer.class.getName());
    private static final long CONFIRM_TIMEOUT_MS = 5_000;
    private static final int MAX_REASON_CHARS = 1_000;

    private final Settings.Rabbit rabbit;
    private final Meters meters;
    private final Phaser unsettled = new Phaser(1);
    private final ReentrantLock deadLetterLock = new ReentrantLock();
    private final ExecutorService dispatch = Executors.newVirtualThreadPerTaskExecutor();
    private Connection connection;
    private Channel consuming;
    private volatile Channel deadLetters;
    private volatile ReplyPublisher replies;
    private volatile Channel probe;
    private volatile String consumerTag;
    /** Whether the broker delivers to the consumer now: false before start, while recovering, after a cancel. */
    private volatile boolean consumerActive;

    QueueConsumer(Settings.Rabbit rabbit, Meters meters) {
        this.rabbit = rabbit;
        this.meters = meters;
    }

    /**
     * Connects, declares the topology and starts consuming: each delivery is handed to
     * {@code handler} on amqp-client's dispatch, one at a time and in arrival order.
     */
    void start(Consumer<Delivery> handler) throws IOException, TimeoutException {
        ConnectionFactory factory = Topology.connectionFactory(rabbit);
        connection = Topology.connect(factory, rabbit, dispatch, "assistant-stream");
        ((Recoverable) connection).addRecoveryListener(new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recovered) {
                meters.rabbitmqReconnects().increment();
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
            throw new IOException("Could not declare the RabbitMQ topology (an existing queue with other arguments? "
                    + "see QUEUE_TYPE, QUEUE_MAX_PRIORITY and QUEUE_MESSAGE_TTL_MS; a queue cannot change its type: "
                    + "move to a quorum queue under a new QUEUE_NAME): " + rootMessage(e), e);
        }
        deadLetters = connection.createChannel();
        deadLetters.confirmSelect();
        replies = new ReplyPublisher(connection, Duration.ofMillis(CONFIRM_TIMEOUT_MS), meters);
        consuming.basicQos(rabbit.concurrency());
        consumerTag = consuming.basicConsume(rabbit.queue(), false, new DefaultConsumer(consuming) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                unsettled.register();
                handler.accept(new Delivery(envelope.getDeliveryTag(), properties, body, System.nanoTime(),
                        QueueConsumer.this, unsettled::arriveAndDeregister));
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

    /** Acks; if the channel is gone the broker redelivers, which is all that can be done. */
    @Override
    public void ack(long tag) {
        try {
            consuming.basicAck(tag, false);
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not ack; the broker will redeliver: " + rootMessage(e));
        }
    }

    @Override
    public void requeue(long tag) {
        try {
            consuming.basicNack(tag, false, true);
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not requeue; the broker will redeliver: " + rootMessage(e));
        }
    }

    /**
     * Publishes the message to the dead-letter exchange with the reason (waiting for the broker's
     * confirm), then acks it. If that fails, rejects it, and the queue's own dead-lettering moves it.
     */
    @Override
    public void deadLetter(long tag, AMQP.BasicProperties properties, byte[] body, String reason) {
        Map<String, Object> headers = new HashMap<>(properties.getHeaders() == null ? Map.of() : properties.getHeaders());
        headers.put(Intake.REASON_HEADER, reason.length() > MAX_REASON_CHARS
                ? reason.substring(0, MAX_REASON_CHARS) + "…" : reason);
        AMQP.BasicProperties marked = properties.builder().headers(headers).build();
        deadLetterLock.lock();
        try {
            if (!deadLetters.isOpen()) {
                deadLetters = connection.createChannel();
                deadLetters.confirmSelect();
            }
            deadLetters.basicPublish(rabbit.deadLetterExchange(), rabbit.routingKey(), marked, body);
            if (!deadLetters.waitForConfirms(CONFIRM_TIMEOUT_MS)) {
                throw new IOException("the broker refused the dead-letter copy");
            }
            ack(tag);
            meters.deliveriesDeadLettered().increment();
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

    @Override
    public void reply(String replyTo, String correlationId, String json) throws IOException, InterruptedException {
        replies.publish(replyTo, correlationId, json);
    }

    /** Whether deliveries can arrive: the connection open and the consumer registered with the broker. */
    boolean consuming() {
        return consumerActive && connection != null && connection.isOpen() && consuming.isOpen();
    }

    /** A round trip to the broker: the messages ready in the queue. */
    long messagesReady() throws IOException {
        Channel current = probe;
        if (current == null || !current.isOpen()) {
            current = connection.createChannel();
            probe = current;
        }
        return current.messageCount(rabbit.queue());
    }

    /** Asks the broker for no more deliveries; those received stay to be settled. */
    void cancel() {
        try {
            if (consumerTag != null && consuming.isOpen()) {
                consuming.basicCancel(consumerTag);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("Could not cancel the consumer cleanly: " + rootMessage(e));
        }
    }

    /** Waits until every delivery received is settled; false if some are not after {@code timeout}. */
    boolean awaitSettled(Duration timeout) throws InterruptedException {
        try {
            unsettled.awaitAdvanceInterruptibly(unsettled.arrive(), timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
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

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root == e) {
            return String.valueOf(e.getMessage());
        }
        return e.getMessage() == null ? root.toString() : e.getMessage() + " (" + root + ")";
    }
}
