package io.assistantstream.testing;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import io.assistantstream.fake.FakeOpenAi;

/** Another client of the fake OpenAI, to make a conversation busy the way a second process would. */
public final class OpenAiDirect {
    private OpenAiDirect() {
    }

    /** Streams one response on {@code conversation} and reads it to the end. */
    public static void stream(FakeOpenAi openAi, String conversation, String input) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(openAi.baseUrl() + "/responses"))
                .header("Authorization", "Bearer " + FakeOpenAi.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.object(Map.of("model", "m", "stream", true,
                        "conversation", conversation, "input", input))))
                .build();
        try (HttpClient client = HttpClient.newHttpClient();
             InputStream body = client.send(request, HttpResponse.BodyHandlers.ofInputStream()).body()) {
            body.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
