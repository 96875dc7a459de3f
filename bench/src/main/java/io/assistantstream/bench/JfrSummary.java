package io.assistantstream.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a service's CPU samples fall, by stage of a frame's way and by thread, from a JFR recording
 * ({@code jdk.ExecutionSample}). {@code bench/profile.sh RECORDING.jfr}. A sample counts for the first
 * stage whose marker appears anywhere in its stack, in the order below, so a frame built while the
 * SSE stream is read counts as building, not reading.
 */
public final class JfrSummary {
    private record Stage(String name, List<String> markers) {
    }

    private static final List<Stage> STAGES = List.of(
            new Stage("frame JSON", List.of("frames.Frame.jsonAfterSeq", "frames.JsonText", "AnswerFrames.flush")),
            new Stage("frame queued (caller side)", List.of("RedisFramePublisher.publish")),
            new Stage("frames to Redis (sender, lettuce write)", List.of("RedisFramePublisher", "CommandEncoder",
                    "CommandHandler.write", "ChannelOutboundBuffer")),
            new Stage("pub/sub in, hub fan-out", List.of("PubSubCommandHandler", "SubscriberHub", "PubSubEndpoint")),
            new Stage("other Redis replies", List.of("CommandHandler.decode", "CommandHandler.channelRead")),
            new Stage("WebSocket send", List.of("hub.ClientWriter", "WsConnection")),
            new Stage("SSE read (HTTP client, line reader)", List.of("backend.SseReader", "Http1CallChainBase",
                    "Http1ClientResponse")),
            new Stage("event parsing", List.of("OpenAiClient.stringField", "OpenAiClient.json")),
            new Stage("backend, other", List.of("backend.")),
            new Stage("intake, lease, store", List.of("intake.", "lease.", "store.", "rabbitmq")),
            new Stage("virtual-thread scheduling", List.of("VirtualThread", "ForkJoin", "Continuation", "Poller")));

    private JfrSummary() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> stages = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        int total = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
                continue;
            }
            total++;
            stages.merge(stage(event.getStackTrace().getFrames()), 1, Integer::sum);
            RecordedThread thread = event.getThread("sampledThread");
            String name = thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName();
            threads.merge(name.replaceAll("-0x\\p{XDigit}+.*|-\\d+$", ""), 1, Integer::sum);
        }
        print("stage", stages, total);
        print("thread", threads, total);
    }

    private static String stage(List<RecordedFrame> frames) {
        for (Stage stage : STAGES) {
            for (RecordedFrame frame : frames) {
                String method = frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
                if (stage.markers().stream().anyMatch(method::contains)) {
                    return stage.name();
                }
            }
        }
        return "other";
    }

    private static void print(String what, Map<String, Integer> counts, int total) {
        System.out.printf(Locale.ROOT, "%n| %s | share of %d samples |%n|---|---|%n", what, total);
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(15)
                .forEach(e -> System.out.printf(Locale.ROOT, "| %s | %.1f%% |%n", e.getKey(),
                        100.0 * e.getValue() / total));
    }
}
