package io.assistantstream.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TOOLS_FILE: read as YAML or JSON, every mistake stopping the start with the file, tool and field to fix. */
class ToolsFileTest {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
    private static final Map<String, String> ENVIRONMENT = Map.of("ORDERS_TOKEN", "tok-3f9a1c77e2", "EMPTY", "");

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private List<DeclaredTool> read(Path file) {
        return ToolsFile.read(file, ENVIRONMENT::get, DEFAULT_TIMEOUT);
    }

    @Test
    void a_yaml_file_declares_tools_with_their_headers_from_the_environment_and_defaults() throws IOException {
        List<DeclaredTool> tools = read(file("tools.yaml", """
                tools:
                  - name: lookup_order
                    description: Find an order by its number.
                    parameters:
                      type: object
                      properties:
                        number: {type: string}
                      required: [number]
                    url: https://orders.example.com/tool?v=1
                    headers:
                      Authorization: "Bearer ${ORDERS_TOKEN}"
                      X-Plain: 2
                    timeout_ms: 5000
                  - name: ping
                    description: Says pong.
                    url: http://127.0.0.1:9/ping
                    strict: true
                """));
        DeclaredTool order = tools.getFirst();
        assertEquals("lookup_order", order.name());
        assertEquals("https://orders.example.com/tool?v=1", order.url().toString());
        assertEquals(Map.of("Authorization", "Bearer tok-3f9a1c77e2", "X-Plain", "2"), order.headers());
        assertEquals(Duration.ofMillis(5000), order.timeout());
        assertFalse(order.strict(), "strict is off unless asked for");
        assertEquals("{\"type\":\"object\",\"properties\":{\"number\":{\"type\":\"string\"}},\"required\":[\"number\"]}",
                order.parameters().toString());
        assertFalse(order.toString().contains("tok-3f9a1c77e2"), order.toString());
        assertFalse(order.toString().contains("v=1"), "the URL's query may hold a key: " + order);

        DeclaredTool ping = tools.get(1);
        assertEquals(DEFAULT_TIMEOUT, ping.timeout());
        assertTrue(ping.strict());
        assertEquals("{\"type\":\"object\",\"properties\":{},\"required\":[],\"additionalProperties\":false}",
                ping.parameters().toString(), "no parameters: an object without properties");
    }

    @Test
    void a_json_file_indented_with_tabs_is_read_too() throws IOException {
        List<DeclaredTool> tools = read(file("tools.json", "{\n\t\"tools\": [\n\t\t{\"name\": \"ping\", \"description\":"
                + " \"Says pong.\", \"url\": \"http://127.0.0.1:9/ping\", \"headers\": {\"X-Key\": \"${ORDERS_TOKEN}\"}}\n\t]\n}\n"));
        assertEquals("ping", tools.getFirst().name());
        assertEquals(Map.of("X-Key", "tok-3f9a1c77e2"), tools.getFirst().headers());
    }

    /** A tool entry with the required fields, then {@code extra} lines (YAML, indented for the entry). */
    private static String oneTool(String name, String extra) {
        return "tools:\n  - name: " + name + "\n    description: d\n    url: http://127.0.0.1:9/t\n" + extra;
    }

    @Test
    void each_kind_of_mistake_fails_naming_the_file_the_tool_and_the_field() throws IOException {
        List<List<String>> cases = List.of(
                List.of("", "it must hold a mapping with a \"tools:\" list"),
                List.of("tool:\n  - name: x\n", "unknown key \"tool\" (the file holds one key, tools)"),
                List.of("tools: {name: x}\n", "\"tools:\" must be a list of tools"),
                List.of("tools:\n  - name: [unclosed\n", "it is not valid YAML or JSON: "),
                List.of("tools:\n  - just a text\n", "tool 1: must be a mapping with name, description and url"),
                List.of("tools:\n  - description: d\n    url: http://h/t\n", "tool 1: name: is missing"),
                List.of("tools:\n  - name: x\n    url: http://h/t\n", "tool 1 (x): description: is missing"),
                List.of("tools:\n  - name: x\n    description: d\n", "tool 1 (x): url: is missing"),
                List.of(oneTool("get weather", ""), "tool 1: name: \"get weather\" is not a function name"),
                List.of(oneTool("x", "") + "  - name: x\n    description: d\n    url: http://h/u\n",
                        "tool 2 (x): name: tool 1 has this name already"),
                List.of(oneTool("get_weather", ""), "tool 1 (get_weather): name: \"get_weather\" is a built-in tool"),
                List.of(oneTool("x", "").replace("http://127.0.0.1:9/t", "ftp://h/t"),
                        "tool 1 (x): url: must be an http or https URL with a host"),
                List.of(oneTool("x", "").replace("http://127.0.0.1:9/t", "https://user:pw@h/t"),
                        "tool 1 (x): url: must not hold a user or password"),
                List.of(oneTool("x", "    parameters: {type: string}\n"),
                        "tool 1 (x): parameters: must be a JSON schema of an object"),
                List.of(oneTool("x", "    parameters: {type: object, properties: {a: {type: string}}}\n"
                        + "    strict: true\n"), "tool 1 (x): parameters: strict: true needs additionalProperties: false"),
                List.of(oneTool("x", "    strict: maybe\n"), "tool 1 (x): strict: must be true or false"),
                List.of(oneTool("x", "    timeout_ms: 0\n"), "tool 1 (x): timeout_ms: must be a whole number of"
                        + " milliseconds from 1 to 3600000, got 0"),
                List.of(oneTool("x", "    timeout_ms: soon\n"), "tool 1 (x): timeout_ms: must be a whole number"),
                List.of(oneTool("x", "    descripton: typo\n"), "tool 1 (x): unknown field \"descripton\" (the fields are"
                        + " name, description, parameters, url, headers, timeout_ms, strict)"),
                List.of(oneTool("x", "    headers: {Authorization: \"Bearer ${NOT_SET}\"}\n"),
                        "tool 1 (x): headers: Authorization: the environment variable NOT_SET is not set"),
                List.of(oneTool("x", "    headers: {X-Key: \"${EMPTY}\"}\n"),
                        "tool 1 (x): headers: X-Key: the environment variable EMPTY is not set"),
                List.of(oneTool("x", "    headers: {Content-Type: text/plain}\n"),
                        "tool 1 (x): headers: Content-Type is set by the service itself"),
                List.of(oneTool("x", "    headers: {\"Bad Name\": v}\n"),
                        "tool 1 (x): headers: \"Bad Name\" is not a header name"),
                List.of(oneTool("x", "    headers: {X-Key: \"tok-3f9a1c77e2\\r\\nInjected: 1\"}\n"),
                        "tool 1 (x): headers: X-Key: its value holds a line break"));
        for (List<String> c : cases) {
            Path file = file("tools.yaml", c.get(0));
            InvalidToolsFileException e = assertThrows(InvalidToolsFileException.class, () -> read(file), c.get(0));
            assertTrue(e.getMessage().startsWith("TOOLS_FILE " + file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c.get(1)), "expected \"" + c.get(1) + "\" in: " + e.getMessage());
            assertFalse(e.getMessage().contains("tok-3f9a1c77e2"), "a header value in: " + e.getMessage());
        }
    }

    @Test
    void a_yaml_error_names_where_it_is_without_quoting_the_line_that_may_hold_a_secret() throws IOException {
        Path file = file("tools.yaml", oneTool("x", "    headers: {X-Key: tok-3f9a1c77e2\n"));
        InvalidToolsFileException e = assertThrows(InvalidToolsFileException.class, () -> read(file));
        assertTrue(e.getMessage().matches(".*it is not valid YAML or JSON: .* \\(line \\d+, column \\d+\\)"),
                e.getMessage());
        assertFalse(e.getMessage().contains("tok-3f9a1c77e2"), e.getMessage());
    }

    @Test
    void a_file_that_cannot_be_read_is_named_with_the_reason() {
        Path missing = dir.resolve("absent.yaml");
        assertEquals("TOOLS_FILE " + missing + ": there is no such file",
                assertThrows(InvalidToolsFileException.class, () -> read(missing)).getMessage());
        assertEquals("TOOLS_FILE " + dir + ": it cannot be read: it is a directory",
                assertThrows(InvalidToolsFileException.class, () -> read(dir)).getMessage());
    }
}
