package io.assistantstream.tools;

import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import io.assistantstream.config.RedactedUri;
import io.assistantstream.network.NetworkFailure;

/**
 * {@code get_weather}: OpenWeather geocoding ({@code /geo/1.0/direct}), then the current weather at
 * the first place found ({@code /data/2.5/weather}). Answers the model with a small JSON summary. When
 * OpenWeather cannot be reached the model is told where and why, in words ("OpenWeather could not be
 * reached at api.openweathermap.org: the name does not resolve"). What the model is told may reach
 * the user, so it never holds the API key (sent in the query) or the base URL's user-info, nor an
 * exception's message, which may quote the request.
 */
public final class WeatherTool implements Tool {
    /** The name the model calls it by. */
    public static final String NAME = "get_weather";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode PARAMETERS = parse("""
            {"type":"object",
             "properties":{
               "city":{"type":"string","description":"City name, optionally with country code, e.g. Paris,FR"},
               "units":{"type":["string","null"],"enum":["metric","imperial",null],
                        "description":"metric (Celsius) or imperial (Fahrenheit); null means metric"}},
             "required":["city","units"],
             "additionalProperties":false}
            """);

    /** The most of an error message from OpenWeather handed on to the model. */
    private static final int MAX_MESSAGE_CHARS = 500;

    private final WebClient client;
    private final URI baseUrl;
    /** The base URL as failures name it: without user-info or query. */
    private final URI shownBaseUrl;
    private final String apiKey;
    private final Duration timeout;

    public WeatherTool(WebClient client, URI baseUrl, String apiKey, Duration timeout) {
        this.client = client;
        this.baseUrl = baseUrl;
        this.shownBaseUrl = RedactedUri.of(baseUrl);
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Get the current weather for a city.";
    }

    @Override
    public JsonNode parameters() {
        return PARAMETERS;
    }

    @Override
    public String call(JsonNode arguments, ToolCaller caller) throws ToolFailedException {
        if (apiKey.isEmpty()) {
            throw new ToolFailedException("get_weather is not available: OPENWEATHER_API_KEY is not set");
        }
        String city = arguments.path("city").asText("").strip();
        if (city.isEmpty()) {
            throw new ToolFailedException("get_weather needs a city");
        }
        String units = arguments.path("units").asText("metric");
        if (!units.equals("imperial")) {
            units = "metric";
        }
        JsonNode places = get("/geo/1.0/direct", "q", city, "limit", "1");
        if (!places.isArray() || places.isEmpty()) {
            throw new ToolFailedException("no place called '" + city + "' was found");
        }
        JsonNode place = places.get(0);
        JsonNode weather = get("/data/2.5/weather", "lat", place.path("lat").asText(),
                "lon", place.path("lon").asText(), "units", units);
        ObjectNode summary = JSON.createObjectNode();
        summary.put("location", place.path("name").asText(city)
                + (place.hasNonNull("country") ? ", " + place.get("country").asText() : ""));
        summary.put("description", weather.path("weather").path(0).path("description").asText(""));
        summary.put("units", units);
        summary.set("temperature", weather.path("main").path("temp"));
        summary.set("feels_like", weather.path("main").path("feels_like"));
        summary.set("humidity_percent", weather.path("main").path("humidity"));
        summary.set("wind_speed", weather.path("wind").path("speed"));
        return summary.toString();
    }

    private JsonNode get(String path, String... query) throws ToolFailedException {
        var request = client.get(baseUrl.resolve(path).toString()).readTimeout(timeout).queryParam("appid", apiKey);
        for (int i = 0; i < query.length; i += 2) {
            request.queryParam(query[i], query[i + 1]);
        }
        try (HttpClientResponse response = request.request()) {
            int status = response.status().code();
            String body = response.entity().hasEntity() ? response.as(String.class) : "";
            if (status == 401) {
                throw new ToolFailedException("OpenWeather rejected the API key (401)");
            }
            if (status == 404) {
                throw new ToolFailedException("OpenWeather found nothing (404): " + message(body));
            }
            if (status != 200) {
                throw new ToolFailedException("OpenWeather answered " + status + ": " + message(body));
            }
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ToolFailedException("OpenWeather sent a body that is not JSON");
        } catch (RuntimeException e) {
            Optional<String> network = NetworkFailure.describe(e);
            if (network.isPresent()) {
                throw new ToolFailedException(NetworkFailure.unreachable("OpenWeather", shownBaseUrl, network.get()));
            }
            if (e instanceof UncheckedIOException) {
                throw new ToolFailedException(NetworkFailure.unreachable("OpenWeather", shownBaseUrl,
                        "the connection failed"));
            }
            throw e;
        }
    }

    /**
     * OpenWeather's error message (its body's {@code message}, else the body), at most
     * {@value #MAX_MESSAGE_CHARS} characters and without the API key, should a server in between quote it.
     */
    private String message(String body) {
        String message;
        try {
            message = JSON.readTree(body).path("message").asText(body);
        } catch (JsonProcessingException e) {
            message = body;
        }
        if (!apiKey.isEmpty()) { // before any change of case, which would hide a key with capitals from this
            message = message.replace(apiKey, "***");
        }
        message = message.toLowerCase(Locale.ROOT);
        return message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
