package io.assistantstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.access.TestTokens;
import io.assistantstream.testing.Json;
import io.assistantstream.testing.TestWorld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a running service serves to browsers over plain HTTP: {@code /client.js} always, the page
 * and its assets unless {@code DEMO_PAGE=false}, with the headers each needs, and what
 * {@code /page/settings.json} tells the page.
 */
class WebRoutesTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private HttpResponse<String> get(AssistantStream service, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void the_client_is_a_module_any_origin_may_load_and_a_browser_revalidates_cheaply() throws Exception {
        AssistantStream service = world.start();
        HttpResponse<String> client = get(service, "/client.js");
        assertEquals(200, client.statusCode());
        assertEquals("text/javascript; charset=utf-8", client.headers().firstValue("Content-Type").orElse(""));
        assertEquals("*", client.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals("no-cache", client.headers().firstValue("Cache-Control").orElse(""));
        assertTrue(client.body().contains("export function connect("), "the module itself");
        String etag = client.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = get(service, "/client.js", "If-None-Match", etag);
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        assertEquals(200, get(service, "/client.js", "If-None-Match", "\"an-older-version\"").statusCode());
    }

    @Test
    void the_page_is_served_with_its_assets_and_a_policy_that_keeps_it_to_its_own_files() throws Exception {
        AssistantStream service = world.start();
        HttpResponse<String> page = get(service, "/");
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), policy);
        assertTrue(page.body().contains("data-testid=\"send\""), "the page itself");
        assertEquals("text/javascript; charset=utf-8",
                get(service, "/page/page.js").headers().firstValue("Content-Type").orElse(""));
        assertEquals("text/css; charset=utf-8",
                get(service, "/page/page.css").headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void demo_page_false_turns_the_page_off_but_not_the_client() throws Exception {
        world.set("demo.page", "false");
        AssistantStream service = world.start();
        for (String path : new String[] {"/", "/page/page.js", "/page/page.css", "/page/settings.json"}) {
            assertEquals(404, get(service, path).statusCode(), path);
        }
        assertEquals(200, get(service, "/client.js").statusCode());
    }

    @Test
    void the_page_learns_where_the_admin_routes_are_whether_tokens_are_needed_and_if_its_origin_may_connect()
            throws Exception {
        JsonNode plain = settings(world.start(), "http://127.0.0.1:1234");
        assertEquals("disabled", plain.get("admin").asText(), "no ADMIN_TOKEN: " + plain);
        assertEquals(false, plain.get("tokens_required").asBoolean());
        assertEquals(true, plain.get("origin_allowed").asBoolean(), "any origin by default");

        world.set("admin.token", "an-admin-token");
        world.set("management.port", "0");
        world.set("websocket.auth", "jwt");
        world.set("websocket.jwt.secret", TestTokens.SECRET);
        world.set("websocket.allowed.origins", "https://app.example.com");
        AssistantStream guarded = world.start();
        JsonNode settings = settings(guarded, "http://127.0.0.1:" + guarded.port());
        assertEquals("management_port", settings.get("admin").asText(), settings.toString());
        assertEquals(true, settings.get("tokens_required").asBoolean());
        assertEquals(true, settings.get("tokens_minted").asBoolean());
        assertEquals(false, settings.get("origin_allowed").asBoolean(), "its own address is not listed");
        assertEquals(true, settings(guarded, "https://app.example.com").get("origin_allowed").asBoolean());
    }

    private JsonNode settings(AssistantStream service, String origin) throws Exception {
        HttpResponse<String> response = get(service, "/page/settings.json?origin="
                + java.net.URLEncoder.encode(origin, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(""));
        return Json.parse(response.body());
    }
}
