package io.assistantstream.backend.echo;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.assistantstream.backend.AnswerFailedException;
import io.assistantstream.backend.AnswerSink;
import io.assistantstream.backend.AssistantBackend;
import io.assistantstream.backend.ConversationNotFoundException;
import io.assistantstream.backend.Deadline;
import io.assistantstream.backend.ToolRounds;
import io.assistantstream.backend.UserMessage;
import io.assistantstream.store.ChannelConversation;
import io.assistantstream.tools.ToolCall;
import io.assistantstream.tools.ToolCaller;
import io.assistantstream.tools.ToolResult;

/**
 * The backend without a model server: streams each message back word by word, a word every
 * {@code wordPause}, as a model would stream its answer. Its conversations exist only as ids
 * ({@code echo_…}); nothing is remembered between messages.
 *
 * <p>A question about the weather in a city, when {@code OPENWEATHER_API_KEY} is set, goes through
 * the same tool rounds as a model's call: clients see {@code processing}, {@code get_weather} runs,
 * and the answer says what it found.
 *
 * <p>The answer stops at once when the sink says its frames reach no one (a cancel, an outage), when
 * the thread is interrupted during a pause (a cancel), and fails, naming the settings, when the next
 * word would come after the answer's deadline.
 */
public final class EchoBackend implements AssistantBackend {
    /** A word with the spaces after it (the first also with those before it): the pieces join back into the text. */
    private static final Pattern WORD = Pattern.compile("\\s*\\S+\\s*");

    private final ToolRounds rounds;
    private final boolean weather;
    private final Duration wordPause;

    /**
     * @param weather   whether questions about the weather run {@code get_weather} ({@code OPENWEATHER_API_KEY} set)
     * @param wordPause the pause before each word ({@code ECHO_WORD_MS})
     */
    public EchoBackend(ToolRounds rounds, boolean weather, Duration wordPause) {
        this.rounds = rounds;
        this.weather = weather;
        this.wordPause = wordPause;
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public String createConversation(String channel, Deadline deadline) {
        return "echo_" + UUID.randomUUID().toString().replace("-", "");
    }

    @Override
    public void respond(ChannelConversation conversation, UserMessage message, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, ConversationNotFoundException, InterruptedException {
        Optional<WeatherQuestion> question = weather ? WeatherQuestion.in(message.text()) : Optional.empty();
        ToolCaller caller = new ToolCaller(conversation.channel(), message.id(), conversation.id());
        rounds.converse(new ToolRounds.Rounds() {
            @Override
            public List<ToolCall> first() throws AnswerFailedException, InterruptedException {
                if (question.isPresent()) {
                    return List.of(new ToolCall("call_" + UUID.randomUUID().toString().replace("-", ""),
                            "get_weather", question.get().arguments()));
                }
                stream(message.text(), sink, deadline);
                return List.of();
            }

            @Override
            public List<ToolCall> next(List<ToolResult> results) throws AnswerFailedException, InterruptedException {
                stream(question.orElseThrow().answer(results.getFirst().output()), sink, deadline);
                return List.of();
            }
        }, sink, caller, deadline);
    }

    /** Streams {@code text} a word at a time; returns early once the sink takes no more. */
    private void stream(String text, AnswerSink sink, Deadline deadline)
            throws AnswerFailedException, InterruptedException {
        Matcher words = WORD.matcher(text);
        int sent = 0;
        while (words.find()) {
            pause(deadline, sent);
            if (!sink.text(words.group())) {
                return;
            }
            sent++;
        }
        if (sent == 0) { // only spaces: they are the echo
            pause(deadline, 0);
            sink.text(text);
        }
    }

    private void pause(Deadline deadline, int sent) throws AnswerFailedException, InterruptedException {
        long pause = wordPause.toNanos();
        if (deadline.remainingNanos() < pause) {
            throw new AnswerFailedException("The assistant took too long to answer", "the echo had sent " + sent
                    + " words when its time ran out: a word every " + wordPause.toMillis() + " ms (ECHO_WORD_MS) does"
                    + " not fit in " + deadline.budget().toMillis() + " ms (OPENAI_ANSWER_TIMEOUT_MS)");
        }
        if (pause > 0) {
            Thread.sleep(wordPause);
        }
    }
}
