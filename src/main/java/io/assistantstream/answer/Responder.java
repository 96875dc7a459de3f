package io.assistantstream.answer;

import java.time.Clock;
import java.time.Duration;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.ConversationNotFoundException;
import io.assistantstream.backend.Deadline;
import io.assistantstream.config.Settings;
import io.assistantstream.frames.AnswerFrames;
import io.assistantstream.frames.FramePublisher;
import io.assistantstream.intake.ChatRequest;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.store.ConversationStore;

/**
 * Answers one request while its channel lease is held: finds or creates the channel's
 * conversation, streams the backend's answer as frames, and ends with exactly one terminal frame.
 * An answer failure ends in an {@code error} frame and a failed {@link Outcome}; an infrastructure
 * failure (Redis) propagates, so the delivery goes back to the queue.
 */
public final class Responder {
    private final ConversationStore store;
    private final AssistantBackend backend;
    private final FramePublisher publisher;
    private final Settings.Stream stream;
    private final Duration answerTimeout;
    private final Clock clock;

    public Responder(ConversationStore store, AssistantBackend backend, FramePublisher publisher,
                     Settings.Stream stream, Duration answerTimeout, Clock clock) {
        this.store = store;
        this.backend = backend;
        this.publisher = publisher;
        this.stream = stream;
        this.answerTimeout = answerTimeout;
        this.clock = clock;
    }

    public Outcome answer(ChatRequest request) throws InterruptedException {
        Deadline deadline = Deadline.in(answerTimeout);
        AnswerFrames frames = new AnswerFrames(publisher, clock, request.channel(), request.messageId(),
                stream.batchChars(), stream.batchInterval());
        try {
            ChannelConversation conversation = store.recordMessage(request.channel()).orElse(null);
            if (conversation == null) {
                conversation = newConversation(request.channel(), deadline);
            }
            frames.threadId(conversation.id());
            frames.started();
            try {
                backend.respond(conversation, request.message(), sink(frames), deadline);
            } catch (ConversationNotFoundException gone) {
                conversation = newConversation(request.channel(), deadline);
                frames.threadId(conversation.id());
                backend.respond(conversation, request.message(), sink(frames), deadline);
            }
            frames.completed();
            return Outcome.done();
        } catch (AnswerFailedException e) {
            frames.error(e.summary(), e.getMessage());
            return Outcome.failed(e.getMessage());
        } catch (ConversationNotFoundException e) {
            frames.error("The assistant lost the conversation", e.getMessage() + ", even after it was replaced");
            return Outcome.failed(e.getMessage());
        }
    }

    private ChannelConversation newConversation(String channel, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        return store.map(channel, backend.createConversation(channel, deadline), backend.name());
    }

    private static AnswerSink sink(AnswerFrames frames) {
        return new AnswerSink() {
            @Override
            public void toolsRunning() {
                frames.processing();
            }

            @Override
            public void text(String delta) {
                frames.text(delta);
            }

            @Override
            public boolean textSent() {
                return frames.textSent();
            }
        };
    }
}
