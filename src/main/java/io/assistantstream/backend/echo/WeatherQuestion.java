package io.assistantstream.backend.echo;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A message that asks about the weather in a city ("What is the weather in Zocca?"), found by
 * words rather than by a model: "weather", then "in", "at" or "for" and the city, up to the end of
 * the sentence.
 *
 * <p>Only the message's first {@value #LOOKED_AT} characters are read, and the city is matched
 * without backtracking: a message may be 256 KiB, and one that repeats "in a" after "weather" would
 * otherwise cost time quadratic in its length. A question is asked at the start of a message.
 */
record WeatherQuestion(String city) {
    /** How many characters at the start of a message may hold the question. */
    static final int LOOKED_AT = 500;
    /** The city runs, possessively, up to the first character no city holds, then ends the sentence. */
    private static final Pattern QUESTION = Pattern.compile(
            "\\bweather\\b.*?\\b(?:in|at|for)\\s+(\\p{L}[\\p{L}\\p{M}\\d ,'-]*+)\\s*(?:[?!.;]|$)",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    /** Words that end a question but name no place: "in Paris today?" asks about Paris. */
    private static final Pattern TRAILING_TIME = Pattern.compile(
            "(?:\\s+(?:right\\s+now|now|today|tonight|please))+$", Pattern.CASE_INSENSITIVE);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The question in {@code text}, if it asks about the weather somewhere. */
    static Optional<WeatherQuestion> in(String text) {
        // $ is the message's end, not the limit's: a city cut by the limit names no place
        Matcher question = QUESTION.matcher(text).region(0, Math.min(text.length(), LOOKED_AT))
                .useAnchoringBounds(false);
        if (!question.find()) {
            return Optional.empty();
        }
        String city = TRAILING_TIME.matcher(question.group(1).strip()).replaceAll("").strip();
        return city.isEmpty() ? Optional.empty() : Optional.of(new WeatherQuestion(city));
    }

    /** The get_weather call's arguments, as the model would write them. */
    String arguments() {
        return JSON.createObjectNode().put("city", city).putNull("units").toString();
    }

    /**
     * The answer that says what the tool found: its summary in a sentence, or its error text
     * ({@code "Error: …"}) as it came.
     */
    String answer(String toolOutput) {
        JsonNode summary;
        try {
            summary = JSON.readTree(toolOutput);
        } catch (JsonProcessingException e) {
            summary = null;
        }
        if (summary == null || !summary.isObject()) {
            return "I asked get_weather about " + city + ". " + toolOutput.replaceFirst("^Error: ", "It said: ");
        }
        boolean imperial = summary.path("units").asText().equals("imperial");
        String degrees = imperial ? " °F" : " °C";
        return String.format(Locale.ROOT, "The weather in %s: %s, %s%s (feels like %s%s), humidity %s%%, wind %s %s.",
                summary.path("location").asText(city), summary.path("description").asText("unknown"),
                summary.path("temperature").asText("?"), degrees, summary.path("feels_like").asText("?"), degrees,
                summary.path("humidity_percent").asText("?"), summary.path("wind_speed").asText("?"),
                imperial ? "mph" : "m/s");
    }
}
