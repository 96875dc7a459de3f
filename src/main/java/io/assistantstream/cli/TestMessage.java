package io.assistantstream.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import io.assistantstream.AssistantStream;
import io.assistantstream.access.ChannelAccess;
import io.assistantstream.config.Settings;
import io.assistantstream.message.ChatRequest;
import io.assistantstream.intake.QueueProducer;
import io.assistantstream.intake.RejectedRequestException;

/**
 * {@code --test-message CHANNEL TEXT}: subscribes to the channel at {@code WEBSOCKET_URL} (the
 * service's {@code /ws}, or a relay: the subscribe is the form both understand), publishes the
 * message to RabbitMQ as an app backend would, and prints the answer as it streams: only the new
 * text, like a chat, with the tool steps shown; or, with {@code --json}, every frame as it came.
 * Ctrl-C while the answer streams cancels the message (through the queue, wherever it is answered).
 * When nothing answers at {@code WEBSOCKET_URL}, the pipeline runs inside this command for as long
 * as it lasts, so the command also works alone.
 */
final class TestMessage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(5);
    /** The longest wait past the answer timeout (by which the service ends every answer it started). */
    private static final Duration MAX_MARGIN = Duration.ofSeconds(30);
    /** How long the command's own channel token lives: its longest wait, and more. */
    private static final Duration TOKEN_TTL = Duration.ofHours(1);

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;

    TestMessage(Settings settings, PrintWriter out, PrintWriter err, boolean json) {
        this.settings = settings;
        this.out = out;
        this.err = err;
        this.json = json;
    }

    /** A message id of the seed's form: {@code test_msg_} and 8 hex digits. */
    static String newMessageId() {
        return "test_msg_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    /** Sends the message and prints the answer; returns the exit code: 0 completed, 1 error or timeout. */
    int run(String channel, String text) throws Exception {
        String messageId = newMessageId();
        ChannelAccess access = settings.access().channels();
        String query = "";
        if (access.required()) { // the command reads the channel like any client: with a token it mints itself
            if (access.mint().isEmpty()) {
                err.println("WEBSOCKET_AUTH is jwt: this command mints itself a channel token with WEBSOCKET_JWT_SECRET,"
                        + " which is not set (a public key or JWKS URL cannot sign one)");
                return 1;
            }
            query = "?token=" + access.mint().get().mint(List.of(channel), TOKEN_TTL, "test-message").token();
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        AssistantStream inProcess = null;
        try {
            Frames frames;
            try {
                frames = Frames.open(http, URI.create(settings.stream().websocketUrl() + query));
            } catch (IOException e) {
                err.println("No service answers at " + settings.stream().websocketUrl() + " (" + e.getMessage()
                        + "): running the pipeline in this command.");
                err.flush();
                inProcess = AssistantStream.start(settings.inProcess());
                frames = Frames.open(http, URI.create("ws://127.0.0.1:" + inProcess.port() + "/ws" + query));
            }
            try (Frames subscribed = frames; QueueProducer producer = new QueueProducer(settings.rabbit())) {
                subscribed.subscribe(channel);
                producer.publish(new ChatRequest(channel, messageId, text));
                if (!json) {
                    err.println("Sent " + messageId + " to channel " + channel + "; the answer (Ctrl-C cancels it):");
                    err.flush();
                }
                Signal ctrlC = new Signal("INT");
                SignalHandler before = Signal.handle(ctrlC, signal -> cancel(producer, channel, messageId));
                try {
                    return print(subscribed, messageId);
                } finally {
                    Signal.handle(ctrlC, before);
                }
            } catch (RejectedRequestException e) {
                err.println("The message would be refused: " + e.getMessage());
                return 1;
            }
        } finally {
            if (inProcess != null) {
                inProcess.stop(Duration.ofSeconds(10));
            }
            http.close();
        }
    }

    /** Ctrl-C: the message is cancelled wherever it is; its cancelled frame then ends the command. */
    private void cancel(QueueProducer producer, String channel, String messageId) {
        try {
            producer.cancel(channel, messageId);
            err.println();
            err.println("Cancelling " + messageId + "…");
            err.flush();
        } catch (Exception e) {
            err.println("Could not cancel " + messageId + ": " + e.getMessage());
            err.flush();
        }
    }

    private int print(Frames frames, String messageId) throws InterruptedException {
        Duration answerTimeout = settings.openAi().answerTimeout();
        Duration wait = answerTimeout.plus(answerTimeout.compareTo(MAX_MARGIN) < 0 ? answerTimeout : MAX_MARGIN);
        long until = System.nanoTime() + wait.toNanos();
        int shown = 0;
        while (true) {
            JsonNode frame = frames.next(until - System.nanoTime());
            if (frame == null) {
                err.println();
                err.println("No answer within " + wait.toMillis() + " ms.");
                return 1;
            }
            if (!messageId.equals(frame.path("message_id").asText())) {
                continue; // another answer on the same channel
            }
            String status = frame.path("status").asText();
            if (json) {
                out.println(frame);
            } else if (status.equals("processing")) {
                out.println(shown == 0 ? "[running tools…]" : System.lineSeparator() + "[running tools…]");
            } else if (status.equals("in_progress") || status.equals("completed") || status.equals("cancelled")) {
                String message = frame.path("message").asText();
                String added = frame.has("delta") ? frame.get("delta").asText()
                        : message.substring(Math.min(shown, message.length())); // a relay may drop the delta
                out.print(status.equals("in_progress") ? added : message.substring(Math.min(shown, message.length())));
                shown = message.length();
            }
            out.flush();
            if (status.equals("completed")) {
                if (!json) {
                    out.println();
                }
                return 0;
            }
            if (status.equals("cancelled")) {
                if (!json) {
                    out.println();
                }
                err.println("Cancelled.");
                return 1;
            }
            if (status.equals("error")) {
                if (!json) {
                    out.println();
                }
                err.println("Error: " + frame.path("message").asText() + " (" + frame.path("error_details").asText()
                        + ")");
                return 1;
            }
        }
    }

    /** One WebSocket connection to {@code /ws} or a relay, its incoming frames queued. */
    private static final class Frames implements AutoCloseable, WebSocket.Listener {
        private final BlockingQueue<JsonNode> incoming = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Frames open(HttpClient http, URI url) throws IOException, InterruptedException {
            Frames frames = new Frames();
            try {
                frames.socket = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT)
                        .buildAsync(url, frames).get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                throw new IOException(cause.getClass().getSimpleName()
                        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
            }
            return frames;
        }

        /** Subscribes in the relay protocol's form, which {@code /ws} accepts too, and waits for the ack. */
        void subscribe(String channel) throws IOException, InterruptedException {
            socket.sendText(JSON.createObjectNode().put("type", "subscribe").set("payload",
                    JSON.createObjectNode().put("channel", channel)).toString(), true).join();
            long until = System.nanoTime() + SUBSCRIBE_TIMEOUT.toNanos();
            for (JsonNode reply; (reply = next(until - System.nanoTime())) != null; ) {
                if (reply.path("type").asText().equals("subscribed")) {
                    return;
                } else if (reply.path("type").asText().equals("error")) {
                    throw new IOException("the subscribe was refused: " + reply.path("message").asText());
                }
            }
            throw new IOException("no subscribe acknowledgement within " + SUBSCRIBE_TIMEOUT.toSeconds() + " s");
        }

        /** The next frame (unwrapped from a relay's envelope), or null when none came in time. */
        JsonNode next(long nanos) throws InterruptedException {
            return incoming.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode message = JSON.readTree(partial.toString());
                    incoming.add(message.path("payload").isObject() && message.path("payload").has("status")
                            ? message.get("payload") : message);
                } catch (JsonProcessingException e) {
                    // not a frame: nothing to show
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(2, TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
    }
}
