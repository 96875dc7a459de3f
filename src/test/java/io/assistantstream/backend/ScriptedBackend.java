package io.assistantstream.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.assistantstream.store.ChannelConversation;

/**
 * An in-memory {@link AssistantBackend}: answers by streaming the message back word by word
 * ("Echo: " first), in the conversation given; each conversation it creates is named
 * {@code conv_N}. A test can make it forget conversations (as a server that lost them) or fail.
 * Once the text is out it keeps the answer, as a backend that writes a history does, asking the
 * sink first; a test can act just before and just after that.
 */
public final class ScriptedBackend implements AssistantBackend {
    private final AtomicInteger created = new AtomicInteger();
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private final List<String> answeredIn = new CopyOnWriteArrayList<>();
    private volatile AnswerFailedException failure;
    private final List<String> kept = new CopyOnWriteArrayList<>();
    private volatile Runnable beforeKeeping = () -> { };
    private volatile Runnable afterKeeping = () -> { };

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public String createConversation(String channel, Deadline deadline) {
        return "conv_" + created.incrementAndGet();
    }

    @Override
    public void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException {
        if (forgotten.contains(conversation.id())) {
            throw new ConversationNotFoundException(conversation.id());
        }
        answeredIn.add(conversation.id());
        if (failure != null) {
            throw failure;
        }
        List<String> words = new ArrayList<>(List.of(("Echo: " + message.text()).split("(?<= )")));
        for (String word : words) {
            if (!sink.text(word)) {
                return;
            }
        }
        beforeKeeping.run();
        if (sink.complete()) {
            kept.add(message.id());
        }
        afterKeeping.run();
    }

    /** Runs {@code before} when an answer's text is out, just before it is kept, and {@code after} just after. */
    public void aroundKeeping(Runnable before, Runnable after) {
        this.beforeKeeping = before;
        this.afterKeeping = after;
    }

    /** The messages whose answers were kept, in order. */
    public List<String> kept() {
        return List.copyOf(kept);
    }

    /** From now on {@code conversationId} is unknown upstream. */
    public void forget(String conversationId) {
        forgotten.add(conversationId);
    }

    /** From now on every answer fails with {@code failure}. */
    public void failWith(AnswerFailedException failure) {
        this.failure = failure;
    }

    /** The conversations answers were given in, in order. */
    public List<String> answeredIn() {
        return List.copyOf(answeredIn);
    }
}
