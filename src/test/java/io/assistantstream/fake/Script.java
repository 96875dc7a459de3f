package io.assistantstream.fake;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * What one fake response does, read from the user text: words starting with {@code !} are directives
 * ({@code !name} or {@code !name=value}), the other words joined by single spaces are the prompt.
 * Known directives: delay, words, stall, fail, quota, cut, cutalways, failed, incomplete, errorevent, malformed,
 * done, stamp, tool, tools, call, args, hosted, for Assistants runs and chat completions rounds, for Assistants
 * runs expired, cancelled (see {@link FakeOpenAi}), for chat completions filtered and quirk (see
 * {@link ChatStream}); unknown
 * ones are dropped from the prompt and ignored.
 *
 * @param prompt     the user text without directives
 * @param directives directive name to value ("" when it has none)
 */
record Script(String prompt, Map<String, String> directives) {
    /** The function every scripted tool call names. */
    static final String TOOL = "get_weather";
    private static final Pattern FAIL = Pattern.compile("(\\d{3})(ms)?x(\\d+)");

    /** Parses a user text. */
    static Script parse(String text) {
        List<String> prompt = new ArrayList<>();
        Map<String, String> directives = new HashMap<>();
        for (String word : text.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (word.startsWith("!")) {
                directives.put(word.substring(1, eq < 0 ? word.length() : eq), eq < 0 ? "" : word.substring(eq + 1));
            } else if (!word.isEmpty()) {
                prompt.add(word);
            }
        }
        return new Script(String.join(" ", prompt), Map.copyOf(directives));
    }

    boolean has(String name) {
        return directives.containsKey(name);
    }

    /** The numeric value of a directive, 0 when absent. */
    int number(String name) {
        return Integer.parseInt(directives.getOrDefault(name, "0"));
    }

    /** The {@code !fail=STATUS[ms]xK} directive matched, or null. */
    private Matcher fail() {
        Matcher m = FAIL.matcher(directives.getOrDefault("fail", ""));
        if (has("fail") && !m.matches()) {
            throw new IllegalArgumentException("bad directive !fail=" + directives.get("fail"));
        }
        return has("fail") ? m : null;
    }

    /** The status the given 1-based attempt answers instead of streaming, or 0. */
    int failStatusOn(int attempt) {
        Matcher m = fail();
        return m != null && attempt <= Integer.parseInt(m.group(3)) ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Whether a 429 carries {@code retry-after-ms} instead of {@code Retry-After}. */
    boolean retryAfterMs() {
        Matcher m = fail();
        return m != null && m.group(2) != null;
    }

    /** After how many deltas the given attempt is cut, or -1: {@code !cut} only on the first streamed attempt. */
    int cutOn(int attempt) {
        Matcher m = fail();
        int firstStreamed = m == null ? 1 : Integer.parseInt(m.group(3)) + 1;
        return has("cutalways") ? number("cutalways") : has("cut") && attempt == firstStreamed ? number("cut") : -1;
    }

    /** One function call a scripted stream asks for: its name and its arguments' JSON text. */
    record PlannedCall(String name, String arguments) {
    }

    /**
     * The calls of {@code !tool=CITY} / {@code !tools=A,B} (get_weather for each city), then of
     * {@code !call=NAME[,NAME2]} (each with the arguments of {@code !args=JSON}, default {@code {}}); empty when the
     * reply is text.
     */
    List<PlannedCall> toolCalls() {
        List<PlannedCall> calls = new ArrayList<>(Stream.of("tool", "tools").filter(this::has)
                .flatMap(name -> Arrays.stream(directives.get(name).split(",")))
                .map(city -> new PlannedCall(TOOL, toolArguments(city))).toList());
        if (has("call")) {
            Arrays.stream(directives.get("call").split(","))
                    .forEach(name -> calls.add(new PlannedCall(name, directives.getOrDefault("args", "{}"))));
        }
        return calls;
    }

    /** The hosted tools of {@code !hosted=web_search[,mcp]}, whose recorded events come before the text. */
    List<String> hostedTools() {
        return has("hosted") ? List.of(directives.get("hosted").split(",")) : List.of();
    }

    /** How many tool rounds a run or chat completion asks for before it answers: {@code !rounds=N}, default 1. */
    int rounds() {
        return has("rounds") ? number("rounds") : 1;
    }

    /** The arguments (a JSON text) of the tool call for one city. */
    static String toolArguments(String city) {
        return FakeOpenAi.JSON.createObjectNode().put("city", city).put("units", "metric").toString();
    }

    /** Splits tool arguments into the 8-character pieces their deltas carry. */
    static List<String> argumentDeltas(String arguments) {
        List<String> pieces = new ArrayList<>();
        for (int at = 0; at < arguments.length(); at += 8) {
            pieces.add(arguments.substring(at, Math.min(arguments.length(), at + 8)));
        }
        return pieces;
    }

    /** The reply text of a plain request: {@code w1 … wN} for {@code !words=N}, else {@code "Echo: " + prompt}. */
    String reply() {
        return has("words")
                ? IntStream.rangeClosed(1, number("words")).mapToObj(i -> "w" + i).collect(Collectors.joining(" "))
                : "Echo: " + prompt;
    }

    /** Splits a reply into deltas: each word with its following whitespace; they concatenate to the reply. */
    private static List<String> deltas(String reply) {
        return List.of(reply.split("(?<=\\s)(?=\\S)"));
    }

    /** The deltas a stream writes of a reply: all, or the first half (rounded up) when it ends early. */
    List<String> textDeltas(String reply) {
        List<String> all = deltas(reply);
        return has("incomplete") || has("filtered") || has("errorevent") || has("malformed")
                ? all.subList(0, (all.size() + 1) / 2) : all;
    }

    /** The text delta to write for a planned one: with {@code !stamp} the current {@code "<epoch microseconds> "}. */
    String written(String planned) {
        if (!has("stamp")) {
            return planned;
        }
        Instant now = Instant.now();
        return (now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000) + " ";
    }
}
