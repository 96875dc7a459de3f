package io.assistantstream.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * For the fake's tests: an SSE answer as a client read it, to its end or to a cut.
 *
 * @param response the answer, null when the connection ended mid-stream
 * @param frames   the frames read, in order
 * @param cut      whether the connection ended mid-stream
 */
record Captured(HttpResponse<?> response, List<Captured.Frame> frames, boolean cut) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One SSE frame: the {@code event:} name (null if none) and the parsed data (null for [DONE]). */
    record Frame(String event, JsonNode data) {
    }

    /** Sends a request and reads its whole streamed answer; a connection ending mid-stream counts as a cut. */
    static Captured send(HttpClient client, HttpRequest request) throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Flow.Subscriber<List<ByteBuffer>> collector = new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(List<ByteBuffer> buffers) {
                for (ByteBuffer buffer : buffers) {
                    byte[] chunk = new byte[buffer.remaining()];
                    buffer.get(chunk);
                    bytes.writeBytes(chunk);
                }
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        };
        try {
            HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.fromSubscriber(collector));
            return new Captured(response, parse(bytes.toString(StandardCharsets.UTF_8)), false);
        } catch (IOException e) {
            return new Captured(null, parse(bytes.toString(StandardCharsets.UTF_8)), true);
        }
    }

    /** Parses SSE text: each {@code data:} line is a frame, named by the {@code event:} line before it (if any). */
    static List<Frame> parse(String body) {
        List<Frame> frames = new ArrayList<>();
        String name = null;
        for (String line : body.split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                String data = line.substring(6);
                try {
                    frames.add(new Frame(name, data.equals("[DONE]") ? null : JSON.readTree(data)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                name = null;
            }
        }
        return frames;
    }
}
