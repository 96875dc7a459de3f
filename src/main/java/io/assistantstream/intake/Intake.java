package io.assistantstream.intake;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.lettuce.core.RedisException;

import io.assistantstream.message.CancelRequest;
import io.assistantstream.message.ChatRequest;
import io.assistantstream.message.QueueInput;
import io.assistantstream.answer.Cancellation;
import io.assistantstream.answer.Outcome;
import io.assistantstream.answer.Responder;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.Frame;
import io.assistantstream.frames.ChannelTurn;
import io.assistantstream.frames.FramePublisher;
import io.assistantstream.frames.JsonText;
import io.assistantstream.frames.RelayUnavailableException;
import io.assistantstream.frames.Status;
import io.assistantstream.lease.ChannelLease;
import io.assistantstream.lease.Fence;
import io.assistantstream.lease.LeaseUnavailableException;
import io.assistantstream.observe.Meters;
import io.assistantstream.steering.CancelBoard;
import io.assistantstream.steering.MultitaskPolicy;
import io.assistantstream.store.AnsweredMessages;

/**
 * Decides what happens to each message the {@link QueueConsumer} delivers, and sees it to its end:
 * validated in arrival order, answered on its own virtual thread once its channel's lease is held,
 * then acknowledged only after its terminal frame is out. Invalid input and failed answers go to the
 * dead-letter queue with the reason in the {@value #REASON_HEADER} header; a delivery that meets an
 * infrastructure failure (Redis down, the relay's buffer full) goes back to the queue after a pause,
 * so nothing is lost. So does one whose channel lease is lost while it is answered: the answer stops
 * at once, since another instance may take the channel.
 */
public final class Intake implements AutoCloseable {
    /** The header that says why a message was dead-lettered. */
    public static final String REASON_HEADER = "x-assistant-stream-reason";
    private static final Logger LOG = Logger.getLogger(Intake.class.getName());
    /** The longest pause before a delivery that met an outage goes back to the queue. */
    private static final long LONGEST_REQUEUE_PAUSE_S = 60;
    /** What clients are told of an unexpected failure: its details (a class name, a message) stay in the log. */
    static final String INTERNAL_ERROR_DETAILS = "the service failed unexpectedly; its log has the details";

    private final QueueConsumer queue;
    private final Meters meters;
    private final RequestParser parser;
    private final ChannelLease lease;
    private final Responder responder;
    private final FramePublisher publisher;
    private final AnsweredMessages answered;
    private final Duration leaseWait;
    private final Duration requeueDelay;
    /** The threads answering now, to interrupt those still running when the grace of a stop ends. */
    private final Set<Thread> answering = ConcurrentHashMap.newKeySet();
    private final AtomicLong deliveries = new AtomicLong();
    private final CancelBoard cancels;
    private final MultitaskPolicy multitask;
    private volatile boolean stopping;

    public Intake(Settings.Rabbit rabbit, ChannelLease lease, Responder responder, FramePublisher publisher,
                  AnsweredMessages answered, CancelBoard cancels, Duration leaseWait, Duration requeueDelay,
                  Meters meters) {
        this.cancels = cancels;
        this.multitask = rabbit.multitask();
        this.meters = meters;
        this.queue = new QueueConsumer(rabbit, meters);
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
        queue.start(this::accept);
    }

    /**
     * Called for each delivery in arrival order, on the consumer's dispatch: validates and takes the
     * channel's place in line here, so per-channel order is the queue's order; the rest runs on a
     * new virtual thread.
     */
    private void accept(Delivery delivery) {
        meters.deliveriesReceived().increment();
        Thread.Builder thread = Thread.ofVirtual().name("delivery-" + deliveries.incrementAndGet());
        ChatRequest request;
        try {
            QueueInput input = parser.read(delivery.body(), delivery.contentType());
            if (input instanceof CancelRequest cancel) { // at once, not in the channel's line: the answer to stop is in it
                thread.start(() -> cancel(delivery, cancel));
                return;
            }
            request = (ChatRequest) input;
        } catch (RejectedRequestException rejected) {
            ChannelLease.Ticket line = null;
            if (rejected.channel() != null) {
                try {
                    line = lease.enqueue(rejected.channel()); // its error frame takes its place in the line
                } catch (RuntimeException redisDown) {
                    LOG.fine(() -> "No error frame for a rejected delivery: " + redisDown);
                }
            }
            ChannelLease.Ticket errorLine = line;
            thread.start(() -> reject(delivery, rejected, errorLine));
            return;
        }
        ChannelLease.Ticket ticket;
        try {
            ticket = lease.enqueue(request.channel());
        } catch (RuntimeException redisDown) {
            thread.start(() -> requeueLater(delivery, request, redisDown));
            return;
        }
        thread.start(() -> handle(delivery, request, ticket));
    }

    /**
     * What happens to one message in its channel's line: its turn, then either its earlier answer
     * again (a redelivery) or a new answer, and the delivery settled by how that ended. A delivery
     * whose thread is interrupted (a stop) goes back to the queue, so none is left unsettled.
     *
     * <p>A lease lost while the answer runs (its renewals failed for too long, or another ticket took
     * the channel) stops the answer: its turn sends nothing more, the answering thread is interrupted
     * (so it stops reading the upstream), and the delivery goes back to the queue, neither acknowledged
     * nor dead-lettered. Another instance may already answer the message's channel; this one's frames
     * are refused in Redis, so they never follow that instance's.
     */
    private void handle(Delivery delivery, ChatRequest request, ChannelLease.Ticket ticket) {
        answering.add(Thread.currentThread());
        AnswerStop stop = new AnswerStop();
        Cancellation cancellation = new Cancellation();
        try (ticket) {
            List<String> before = cancels.entered(request.channel(), request.messageId()); // a cancel finds it now
            MultitaskPolicy policy = request.multitask() == null ? multitask : MultitaskPolicy.ofWire(request.multitask());
            // A message that ended already (a redelivery) keeps its outcome, which its turn repeats: it neither
            // refuses nor interrupts anything. Read only when it would, to spare the usual path a Redis call.
            boolean steers = !before.isEmpty() && policy != MultitaskPolicy.ENQUEUE
                    && answered.completedFrame(request.channel(), request.messageId()).isEmpty();
            if (steers && policy == MultitaskPolicy.REJECT && busy(delivery, request, ticket)) {
                return;
            }
            if (steers && policy == MultitaskPolicy.INTERRUPT) {
                for (String earlier : before) {
                    cancels.cancel(request.channel(), earlier);
                }
                meters.multitask("interrupt").increment();
                LOG.info(() -> "Message " + request.messageId() + " of channel " + request.channel() + " interrupts "
                        + before + ": they are cancelled, and it is answered right after them");
            }
            ticket.acquire(leaseWait);
            if (stopping) { // its turn came after the stop began: the next instance answers it
                return;
            }
            long leased = System.nanoTime();
            meters.queueWait().record(Duration.ofNanos(leased - delivery.arrivedNanos()));
            ticket.whenLost(why -> {
                if (stop.stop()) {
                    LOG.warning("Lost the lease of channel " + request.channel() + " while answering message "
                            + request.messageId() + ": " + why + ". The answer stops, and the message goes back to"
                            + " the queue (another instance may take the channel)");
                }
            });
            try (ChannelTurn turn = publisher.turn(request.channel(), ticket);
                 CancelBoard.Watch watch = cancels.watch(request.channel(), request.messageId(), cancellation)) {
                try {
                    if (cancels.cancelled(request.channel(), request.messageId())) {
                        cancelledInLine(delivery, request, turn, leased);
                    } else {
                        inTurn(delivery, request, turn, leased, ticket, stop, cancellation);
                    }
                } finally {
                    stop.end();
                }
            }
        } catch (LeaseUnavailableException | RedisException | RelayUnavailableException e) {
            requeueLater(delivery, request, e);
        } catch (InterruptedException e) {
            if (!stop.stopped()) { // the service is stopping; a lost lease's own interrupt is over (requeued below)
                Thread.currentThread().interrupt();
            }
        } finally {
            answering.remove(Thread.currentThread());
            if (delivery.requeue()) {
                meters.deliveriesFailed("requeued").increment();
            }
        }
    }

    /**
     * The message's turn at its channel, lease held: its earlier answer again, or a new answer. The
     * {@code stop} ends before the delivery is settled: an interrupt while talking to the broker would
     * close its connection.
     */
    private void inTurn(Delivery delivery, ChatRequest request, ChannelTurn turn, long leased, Fence lease,
                        AnswerStop stop, Cancellation cancellation) throws InterruptedException {
        try {
            Optional<String> earlier = answered.completedFrame(request.channel(), request.messageId());
            if (earlier.isPresent()) {
                repeat(request, turn, earlier.get());
                stop.end();
                turn.terminalFrame().ifPresent(delivery::replyWith);
                settled(request, delivery.ack());
                return;
            }
            Outcome outcome = answer(request, turn, delivery.arrivedNanos(), cancellation);
            stop.end();
            // Its terminal frame was logged while the lease was this answer's (none is sent once the lease is
            // known lost, and Redis refuses one once another ticket holds it): settled as usual.
            turn.terminalFrame().ifPresent(delivery::replyWith);
            if (outcome.completed() || outcome.cancelled()) {
                boolean acked = delivery.ack(); // false: its reply could not be published, and it went back to the queue
                settled(request, acked);
                if (acked) {
                    (outcome.completed() ? meters.deliveriesCompleted() : meters.deliveriesCancelled()).increment();
                }
            } else {
                meters.deliveriesFailed("answer_failed").increment();
                settled(request, delivery.deadLetter("answer failed: " + outcome.failure()));
            }
            logAnswer(request, outcome, delivery.arrivedNanos(), leased);
        } catch (RedisException | RelayUnavailableException outage) {
            throw outage;
        } catch (RuntimeException bug) {
            stop.end();
            if (stop.stopped() || lease.lost()) { // what the stop broke is no bug: the message goes back to the queue
                throw new RedisException("the answer was stopped, its lease lost: " + bug, bug);
            }
            // not an outage: requeueing would repeat it forever, so the message is set aside with the reason
            meters.deliveriesFailed("internal_error").increment();
            LOG.log(Level.SEVERE, "Unexpected failure answering message " + request.messageId(), bug);
            sendError(turn, request.channel(), request.messageId(), "Internal error", INTERNAL_ERROR_DETAILS);
            turn.terminalFrame().ifPresent(delivery::replyWith);
            settled(request, delivery.deadLetter("internal error: " + bug));
        }
    }

    /**
     * A cancel from the input queue: handed to whichever instance holds the message, and
     * acknowledged (a cancel of a message not running is logged and acknowledged too). Redis
     * unreachable: it goes back to the queue after a pause.
     */
    private void cancel(Delivery delivery, CancelRequest cancel) {
        boolean cancelling;
        try {
            cancelling = cancels.cancel(cancel.channel(), cancel.messageId());
        } catch (RuntimeException e) {
            pauseThenRequeue(delivery, "the cancel of message " + cancel.messageId() + " of channel " + cancel.channel(), e);
            return;
        }
        meters.cancels("queue", cancelling ? "cancelling" : "not_running").increment();
        LOG.info(() -> "Cancel of message " + cancel.messageId() + " of channel " + cancel.channel() + " from the queue: "
                + (cancelling ? "cancelling" : "not running (finished, or never received)"));
        delivery.ack();
    }

    /**
     * A message cancelled while it waited in its channel's line: its {@code cancelled} frame (no
     * text: the model was never asked), and it is acknowledged.
     */
    private void cancelledInLine(Delivery delivery, ChatRequest request, ChannelTurn turn, long leased) {
        awaitLogged(turn.publish(new Frame(request.channel(), request.messageId(), null, Status.CANCELLED,
                JsonText.of(""), null, null, System.currentTimeMillis())), "the cancelled frame could not be sent");
        turn.terminalFrame().ifPresent(delivery::replyWith);
        boolean acked = delivery.ack(); // false: its reply could not be published, and it went back to the queue
        settled(request, acked);
        if (acked) {
            meters.deliveriesCancelled().increment();
        }
        logAnswer(request, Outcome.cancelled(null, 0), delivery.arrivedNanos(), leased);
    }

    /**
     * A message that arrived while its channel was busy, under the {@code reject} policy: it ends at
     * once, acknowledged (its producer's reply goes now, as for invalid input), and its channel's
     * subscribers get its {@code channel_busy} error frame in its place in the line. The refusal is
     * recorded as its outcome first: a redelivery (its acknowledgement lost) is refused again, even
     * once the channel is free, instead of being answered.
     *
     * @return false when the message had an outcome already (recorded since it was checked): nothing was done
     *         and it waits for its turn, which repeats that outcome
     */
    private boolean busy(Delivery delivery, ChatRequest request, ChannelLease.Ticket line) throws InterruptedException {
        Frame frame = new Frame(request.channel(), request.messageId(), null, Status.ERROR,
                JsonText.of("The channel is busy"), null, "another message of channel " + request.channel()
                + " is being answered, and this one asked not to wait (multitask policy reject)",
                System.currentTimeMillis(), "channel_busy");
        if (!answered.recordFirst(request.channel(), request.messageId(), frame.jsonAfterSeq(false))) {
            return false; // it ended a moment ago (its answer, on another instance): its turn repeats that
        }
        delivery.replyWith(unnumbered(frame));
        if (!delivery.ack()) { // its reply could not be published: it went back to the queue
            return true;
        }
        settled(request, true);
        meters.multitask("reject").increment();
        LOG.info(() -> "Message " + request.messageId() + " of channel " + request.channel() + " rejected: the channel"
                + " is busy (multitask policy reject)");
        inLine(line, request.channel(), () -> frame);
        return true;
    }

    /** A delivery acknowledged or dead-lettered is no longer in flight (a requeued one still is). */
    private void settled(ChatRequest request, boolean settledNow) {
        if (settledNow) {
            try {
                cancels.left(request.channel(), request.messageId());
            } catch (RuntimeException e) {
                LOG.fine(() -> "Could not clear the in-flight record of message " + request.messageId() + ": " + e);
            }
        }
    }

    private Outcome answer(ChatRequest request, ChannelTurn turn, long arrived, Cancellation cancellation)
            throws InterruptedException {
        meters.answersInFlight().incrementAndGet();
        try {
            return responder.answer(request, turn, arrived, cancellation);
        } finally {
            meters.answersInFlight().decrementAndGet();
        }
    }

    /** One line per answer: its ids, how it ended, and where the time went. */
    private void logAnswer(ChatRequest request, Outcome outcome, long arrived, long leased) {
        long done = System.nanoTime();
        meters.answerDuration().record(Duration.ofNanos(done - arrived));
        LOG.info(() -> "Answered message " + request.messageId() + " of channel " + request.channel() + ": "
                + (outcome.completed() ? "completed" : outcome.cancelled() ? "cancelled" : "error (" + outcome.failure() + ")")
                + " in thread " + outcome.conversationId() + "; waited " + millis(leased - arrived) + " ms, first text "
                + (outcome.firstTextNanos() == 0 ? "none" : millis(outcome.firstTextNanos() - arrived) + " ms")
                + ", total " + millis(done - arrived) + " ms");
    }

    /**
     * A redelivery of a message answered already (its acknowledgement was lost): no new answer, no
     * call to the model; its {@code completed} frame goes out again, for clients that missed it.
     */
    private void repeat(ChatRequest request, ChannelTurn turn, String completedFrame) {
        awaitLogged(turn.publishAgain(completedFrame), "the final frame could not be sent again");
        meters.deliveriesRepeated().increment();
        LOG.info(() -> "Message " + request.messageId() + " of channel " + request.channel() + " was answered "
                + "already: acknowledged with its final frame sent again, and no new answer");
    }

    /**
     * Waits until a terminal frame is logged (its delivery may be settled then); a failure is thrown as
     * it came, and a send lettuce cancelled (a connection reset) as a {@link RedisException} saying {@code what}.
     */
    private static void awaitLogged(CompletionStage<Long> sent, String what) {
        try {
            sent.toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        } catch (CancellationException e) { // lettuce cancels what is in flight when a connection resets
            throw new RedisException(what + ": " + e, e);
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /**
     * Dead-letters an invalid delivery at once; its error frame, when its channel could be read, goes
     * out in the channel's turn (after the answers that arrived before it), best effort.
     */
    private void reject(Delivery delivery, RejectedRequestException rejected, ChannelLease.Ticket line) {
        meters.deliveriesFailed("invalid_input").increment();
        LOG.warning("Rejected delivery (channel " + rejected.channel() + "): " + rejected.getMessage());
        // its producer's reply goes at once: the error frame its channel gets later, in line, less the seq it gets there
        delivery.replyWith(unnumbered(errorFrame(rejected.channel(), rejected.messageId(), "Invalid request",
                rejected.getMessage())));
        if (!delivery.deadLetter("invalid input: " + rejected.getMessage())) { // the reply failed: back to the queue
            if (line != null) {
                line.close(); // no error frame now: it goes out when the message comes again
            }
            return;
        }
        if (line == null) {
            return;
        }
        answering.add(Thread.currentThread()); // a stop that outlasts its grace interrupts the wait
        try (line) {
            inLine(line, rejected.channel(), () -> errorFrame(rejected.channel(), rejected.messageId(),
                    "Invalid request", rejected.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answering.remove(Thread.currentThread());
        }
    }

    /**
     * The error frame of a message settled already, sent in the message's place in its channel's line
     * (after the answers before it), once its turn comes; best effort: the message is settled whatever
     * happens here.
     */
    private void inLine(ChannelLease.Ticket line, String channel, Supplier<Frame> frame) throws InterruptedException {
        try {
            line.acquire(leaseWait);
            if (stopping) {
                return;
            }
            try (ChannelTurn turn = publisher.turn(channel, line)) {
                turn.publish(frame.get()).toCompletableFuture().join();
            }
        } catch (LeaseUnavailableException | RuntimeException e) {
            LOG.warning("Could not send an error frame to channel " + channel + ": " + e.getMessage());
        }
    }

    /** An error frame for a delivery that the responder did not end; best effort, the dead-letter follows anyway. */
    private void sendError(ChannelTurn turn, String channel, String messageId, String message, String details) {
        try {
            turn.publish(errorFrame(channel, messageId, message, details)).toCompletableFuture().join();
        } catch (RuntimeException e) {
            LOG.warning("Could not send an error frame to channel " + channel + ": " + e.getMessage());
        }
    }

    private static Frame errorFrame(String channel, String messageId, String message, String details) {
        return new Frame(channel, messageId, null, Status.ERROR, JsonText.of(message), null, details,
                System.currentTimeMillis());
    }

    /** A frame's JSON as clients get it, less the {@code seq} it has not got (yet, or ever: no channel known). */
    private static String unnumbered(Frame frame) {
        return "{" + frame.jsonAfterSeq(false).substring(1);
    }

    /** An outage: the delivery goes back to the queue after a pause, so it does not spin while the outage lasts. */
    private void requeueLater(Delivery delivery, ChatRequest request, Exception cause) {
        meters.deliveriesFailed("requeued").increment();
        pauseThenRequeue(delivery, "message " + request.messageId() + " of channel " + request.channel(), cause);
    }

    /**
     * Holds the delivery for a pause, then sends it back to the queue. The pause doubles with each time
     * a quorum queue saw it come back ({@code x-delivery-count}), up to {@value #LONGEST_REQUEUE_PAUSE_S} s:
     * a quorum queue dead-letters a message past {@code QUEUE_DELIVERY_LIMIT} returns, so an outage
     * must not spend them at one a second (with the default 20, a message outlasts about 15 minutes
     * of outage). A classic queue keeps no count: its pause stays the same.
     */
    private void pauseThenRequeue(Delivery delivery, String what, Exception cause) {
        long pause = Math.min(requeueDelay.toMillis() << Math.min(delivery.earlierDeliveries(), 16),
                Math.max(requeueDelay.toMillis(), LONGEST_REQUEUE_PAUSE_S * 1000));
        LOG.warning("Requeueing " + what + " after " + pause + " ms: " + QueueConsumer.rootMessage(cause));
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delivery.requeue();
    }

    /** Whether deliveries can arrive: the connection open and the consumer registered with the broker. */
    public boolean consuming() {
        return queue.consuming();
    }

    /** A round trip to the broker: the messages ready in the queue. */
    public long messagesReady() throws IOException {
        return queue.messagesReady();
    }

    /**
     * Stops taking deliveries, waits up to {@code grace} for answers in flight, then closes the
     * connection; whatever is still unacknowledged goes back to the queue.
     */
    public void stop(Duration grace) {
        stopping = true;
        queue.cancel();
        try {
            if (!queue.awaitSettled(grace)) {
                LOG.warning(answering.size() + " answers still in flight after " + grace + "; they are stopped and "
                        + "go back to the queue");
                answering.forEach(Thread::interrupt); // their leases are released as they end
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    /** Closes the connection; unacknowledged deliveries go back to the queue. */
    @Override
    public void close() {
        queue.close();
    }
}
