package io.assistantstream.answer;

import java.time.Clock;
import java.time.Duration;

import io.lettuce.core.RedisException;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.ConversationNotFoundException;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.config.RedactedUri;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.AnswerFrames;
import io.assistantstream.frames.ChannelTurn;
import io.assistantstream.frames.RelayUnavailableException;
import io.assistantstream.message.ChatRequest;
import io.assistantstream.observe.Meters;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.store.ConversationStore;

/**
 * Answers one request while its channel lease is held: finds or creates the channel's
 * conversation, streams the backend's answer as frames, and ends with exactly one terminal frame.
 * An answer failure ends in an {@code error} frame and a failed {@link Outcome}; an infrastructure
 * failure (Redis) propagates, so the delivery goes back to the queue. An error frame's details are the
 * failure's own text, which the backend words for clients; any URL in them loses its user-info all
 * the same, as a last safeguard.
 */
public final class Responder {
    private final ConversationStore store;
    private final AssistantBackend backend;
    private final Settings.Stream stream;
    private final Duration answerTimeout;
    private final Clock clock;
    private final Meters meters;

    public Responder(ConversationStore store, AssistantBackend backend,
                     Settings.Stream stream, Duration answerTimeout, Clock clock, Meters meters) {
        this.meters = meters;
        this.store = store;
        this.backend = backend;
        this.stream = stream;
        this.answerTimeout = answerTimeout;
        this.clock = clock;
    }

    /**
     * Answers one request, its frames numbered and sent by {@code turn}.
     *
     * @param arrivedNanos when the delivery arrived ({@link System#nanoTime()}), for the time to first text
     */
    public Outcome answer(ChatRequest request, ChannelTurn turn, long arrivedNanos) throws InterruptedException {
        return answer(request, turn, arrivedNanos, Cancellation.none());
    }

    /**
     * Answers one request, which {@code cancel} may stop: then it ends with a {@code cancelled} frame
     * carrying the text so far, whatever the model server was doing (a cancel that comes once the
     * answer completed changes nothing: one terminal frame either way).
     */
    public Outcome answer(ChatRequest request, ChannelTurn turn, long arrivedNanos, Cancellation cancel)
            throws InterruptedException {
        Deadline deadline = Deadline.in(answerTimeout);
        AnswerFrames frames = new AnswerFrames(turn, clock, request.channel(), request.messageId(),
                stream.batchChars(), stream.batchInterval());
        FirstText firstText = new FirstText(arrivedNanos, meters);
        String conversationId = null;
        try {
            ChannelConversation conversation = store.recordMessage(request.channel()).orElse(null);
            if (conversation == null) {
                conversation = newConversation(request.channel(), deadline);
            }
            conversationId = conversation.id();
            frames.conversationId(conversationId);
            frames.started();
            cancel.arm();
            try {
                try {
                    backend.respond(conversation, new UserMessage(request.messageId(), request.message()), sink(frames, firstText, cancel), deadline);
                } catch (ConversationNotFoundException gone) {
                    if (cancel.requested()) {
                        throw gone;
                    }
                    conversation = newConversation(request.channel(), deadline);
                    conversationId = conversation.id();
                    frames.conversationId(conversationId);
                    backend.respond(conversation, new UserMessage(request.messageId(), request.message()), sink(frames, firstText, cancel), deadline);
                }
            } catch (AnswerFailedException | ConversationNotFoundException | InterruptedException e) {
                cancel.disarm();
                if (!cancel.requested()) {
                    throw e;
                }
            } catch (RedisException | RelayUnavailableException outage) {
                throw outage; // a frame could not be published: the delivery goes back to the queue, cancel or not
            } catch (RuntimeException e) {
                cancel.disarm();
                if (!cancel.requested()) { // else the cancel's interrupt broke a read in an unexpected way
                    throw e;
                }
            } finally {
                cancel.disarm();
            }
            if (cancel.requested()) { // the model server was left as soon as the cancel came
                frames.cancelled();
                return Outcome.cancelled(conversationId, firstText.nanos);
            }
            frames.completed();
            return new Outcome(true, null, conversationId, firstText.nanos);
        } catch (AnswerFailedException e) {
            return failed(frames, e.summary(), e.getMessage(), conversationId, firstText);
        } catch (ConversationNotFoundException e) {
            return failed(frames, "The assistant lost the conversation", e.getMessage() + ", even after it was replaced",
                    conversationId, firstText);
        }
    }

    /** Sends the error frame and returns the failed outcome, both with {@code details} made safe to show. */
    private static Outcome failed(AnswerFrames frames, String summary, String details, String conversationId,
                                  FirstText firstText) {
        String shown = RedactedUri.inText(details);
        frames.error(summary, shown);
        return new Outcome(false, shown, conversationId, firstText.nanos);
    }

    /** When an answer's first text came; recorded once, as the time to first token. */
    private static final class FirstText {
        private final long arrivedNanos;
        private final Meters meters;
        private long nanos;

        FirstText(long arrivedNanos, Meters meters) {
            this.arrivedNanos = arrivedNanos;
            this.meters = meters;
        }

        void seen() {
            if (nanos == 0) {
                nanos = System.nanoTime();
                meters.firstToken().record(Duration.ofNanos(nanos - arrivedNanos));
            }
        }
    }

    private ChannelConversation newConversation(String channel, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        return store.map(channel, backend.createConversation(channel, deadline), backend.name());
    }

    private static AnswerSink sink(AnswerFrames frames, FirstText firstText, Cancellation cancel) {
        return new AnswerSink() {
            @Override
            public boolean toolsRunning() {
                return !cancel.requested() && frames.processing();
            }

            @Override
            public boolean hostedToolRunning(String activity) {
                return !cancel.requested() && frames.processing(activity);
            }

            @Override
            public boolean text(String delta) {
                if (cancel.requested()) {
                    return false; // stop reading: what came after the cancel is not shown
                }
                firstText.seen();
                return frames.text(delta);
            }

            @Override
            public boolean textSent() {
                return frames.textSent();
            }

            @Override
            public boolean complete() {
                return cancel.seal();
            }
        };
    }
}
