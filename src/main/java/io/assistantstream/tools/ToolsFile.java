package io.assistantstream.tools;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads {@code TOOLS_FILE}, YAML or JSON (YAML 1.1 reads JSON too; snakeyaml comes with Helidon's
 * YAML config), and validates all of it before the service starts: a file the service could not use
 * as written stops the start with what to fix, rather than failing calls one by one later.
 *
 * <pre>
 * tools:
 *   - name: lookup_order                  # ^[a-zA-Z0-9_-]{1,64}$, unique, not get_weather
 *     description: Find an order by its number.
 *     parameters: {type: object, properties: {number: {type: string}}, required: [number]}
 *     url: https://orders.example.com/tool
 *     headers: {Authorization: "Bearer ${ORDERS_TOKEN}"}   # ${VAR}: from the environment
 *     timeout_ms: 5000                    # default TOOL_TIMEOUT_MS
 *     strict: false                       # default false
 * </pre>
 *
 * Header values are secrets once their variables are replaced: no message here quotes one, not
 * even a YAML error's excerpt of the line it is on.
 */
public final class ToolsFile {
    /** OpenAI's rule for a function's name. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    /** HTTP's characters of a header name (a token). */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final List<String> FIELDS = List.of("name", "description", "parameters", "url", "headers",
            "timeout_ms", "strict");
    /** Headers the call sets itself. */
    private static final Set<String> SET_BY_THE_SERVICE = Set.of("content-type", "content-length", "host",
            "transfer-encoding", "connection");
    /** Names taken by the built-in tools. */
    private static final Set<String> BUILT_IN = Set.of(WeatherTool.NAME);
    private static final long MAX_TIMEOUT_MS = 3_600_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String file;

    private ToolsFile(Path file) {
        this.file = "TOOLS_FILE " + file;
    }

    /**
     * The tools {@code file} declares, in its order.
     *
     * @param environment    the value of an environment variable, null when it is not set
     * @param defaultTimeout the timeout of a tool without {@code timeout_ms}
     * @throws InvalidToolsFileException naming the file, the tool and the field to fix
     */
    public static List<DeclaredTool> read(Path file, Function<String, String> environment, Duration defaultTimeout) {
        ToolsFile reader = new ToolsFile(file);
        return reader.tools(reader.parse(file), environment, defaultTimeout);
    }

    private JsonNode parse(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw invalid("there is no such file");
        } catch (AccessDeniedException e) {
            throw invalid("the service may not read it (permission denied)");
        } catch (MalformedInputException e) {
            throw invalid("it is not UTF-8 text");
        } catch (IOException e) {
            throw invalid("it cannot be read" + (Files.isDirectory(path) ? ": it is a directory" : ""));
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try {
            Object tree = new Yaml(new SafeConstructor(options)).load(text);
            if (!(tree instanceof Map<?, ?>)) {
                throw invalid("it must hold a mapping with a \"tools:\" list, e.g. tools: [{name: …, description: …,"
                        + " url: …}]");
            }
            return JSON.valueToTree(tree);
        } catch (MarkedYAMLException e) { // its message would quote the line, which may hold a header's value
            Mark mark = e.getProblemMark();
            throw invalid("it is not valid YAML or JSON: " + e.getProblem()
                    + (mark == null ? "" : " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")"));
        } catch (YAMLException e) {
            throw invalid("it is not valid YAML or JSON");
        }
    }

    private List<DeclaredTool> tools(JsonNode root, Function<String, String> environment, Duration defaultTimeout) {
        root.fieldNames().forEachRemaining(field -> {
            if (!field.equals("tools")) {
                throw invalid("unknown key \"" + field + "\" (the file holds one key, tools)");
            }
        });
        JsonNode list = root.path("tools");
        if (!list.isArray()) {
            throw invalid("\"tools:\" must be a list of tools, each with name, description and url");
        }
        List<DeclaredTool> tools = new ArrayList<>();
        Map<String, Integer> positions = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            DeclaredTool tool = new Entry(i + 1, list.get(i)).tool(environment, defaultTimeout);
            if (BUILT_IN.contains(tool.name())) {
                throw new Entry(i + 1, list.get(i)).invalid("name", "\"" + tool.name() + "\" is a built-in tool; choose"
                        + " another name");
            }
            Integer first = positions.putIfAbsent(tool.name(), i + 1);
            if (first != null) {
                throw new Entry(i + 1, list.get(i)).invalid("name", "tool " + first + " has this name already");
            }
            tools.add(tool);
        }
        return List.copyOf(tools);
    }

    private InvalidToolsFileException invalid(String problem) {
        return new InvalidToolsFileException(file + ": " + problem);
    }

    /** One element of {@code tools:}, at {@code position} (1-based). */
    private final class Entry {
        private final int position;
        private final JsonNode node;
        private final String where;

        Entry(int position, JsonNode node) {
            this.position = position;
            this.node = node;
            JsonNode name = node.path("name");
            this.where = "tool " + position
                    + (name.isTextual() && NAME.matcher(name.asText()).matches() ? " (" + name.asText() + ")" : "");
        }

        DeclaredTool tool(Function<String, String> environment, Duration defaultTimeout) {
            if (!node.isObject()) {
                throw new InvalidToolsFileException(file + ": tool " + position
                        + ": must be a mapping with name, description and url");
            }
            node.fieldNames().forEachRemaining(field -> {
                if (!FIELDS.contains(field)) {
                    throw new InvalidToolsFileException(file + ": " + where + ": unknown field \"" + field
                            + "\" (the fields are " + String.join(", ", FIELDS) + ")");
                }
            });
            String name = text("name");
            if (!NAME.matcher(name).matches()) {
                throw invalid("name", "\"" + name + "\" is not a function name: 1 to 64 letters, digits, _ or -");
            }
            String description = text("description");
            boolean strict = strict();
            return new DeclaredTool(name, description, parameters(strict), url(), headers(environment),
                    timeout(defaultTimeout), strict);
        }

        /** A required, non-blank string field. */
        private String text(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                throw invalid(field, "is missing");
            }
            if (!value.isTextual() || value.asText().isBlank()) {
                throw invalid(field, "must be a non-empty text");
            }
            return value.asText().strip();
        }

        private boolean strict() {
            JsonNode value = node.path("strict");
            if (value.isMissingNode() || value.isNull()) {
                return false;
            }
            if (!value.isBoolean()) {
                throw invalid("strict", "must be true or false");
            }
            return value.asBoolean();
        }

        private JsonNode parameters(boolean strict) {
            JsonNode schema = node.get("parameters");
            if (schema == null || schema.isNull()) {
                ObjectNode none = JSON.createObjectNode().put("type", "object");
                none.putObject("properties");
                if (strict) {
                    none.putArray("required");
                    none.put("additionalProperties", false);
                }
                return none;
            }
            if (!schema.isObject() || !"object".equals(schema.path("type").asText())) {
                throw invalid("parameters", "must be a JSON schema of an object: a mapping with type: object and"
                        + " its properties");
            }
            if (schema.has("properties") && !schema.get("properties").isObject()) {
                throw invalid("parameters", "properties must be a mapping of each argument's name to its schema");
            }
            if (strict) {
                Set<String> required = new HashSet<>();
                schema.path("required").forEach(n -> required.add(n.asText()));
                Set<String> properties = new HashSet<>();
                schema.path("properties").fieldNames().forEachRemaining(properties::add);
                if (!schema.path("additionalProperties").isBoolean() || schema.get("additionalProperties").asBoolean()
                        || !required.containsAll(properties)) {
                    throw invalid("parameters", "strict: true needs additionalProperties: false and every property"
                            + " listed in required (or set strict: false)");
                }
            }
            return schema;
        }

        private URI url() {
            String text = text("url");
            URI url;
            try {
                url = new URI(text);
            } catch (URISyntaxException e) {
                throw invalid("url", "is not a valid URL (" + e.getReason() + ")");
            }
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
                throw invalid("url", "must be an http or https URL with a host, e.g. https://tools.example.com/lookup");
            }
            if (url.getRawUserInfo() != null) {
                throw invalid("url", "must not hold a user or password: send credentials in headers, where"
                        + " ${VAR} reads them from the environment");
            }
            return url;
        }

        private Map<String, String> headers(Function<String, String> environment) {
            JsonNode headers = node.path("headers");
            if (headers.isMissingNode() || headers.isNull()) {
                return Map.of();
            }
            if (!headers.isObject()) {
                throw invalid("headers", "must be a mapping of header names to values");
            }
            Map<String, String> values = new LinkedHashMap<>();
            Set<String> seen = new HashSet<>();
            for (var header : (Iterable<Map.Entry<String, JsonNode>>) headers::fields) {
                String name = header.getKey();
                if (!HEADER_NAME.matcher(name).matches()) {
                    throw invalid("headers", "\"" + name + "\" is not a header name");
                }
                String lower = name.toLowerCase(Locale.ROOT);
                if (SET_BY_THE_SERVICE.contains(lower)) {
                    throw invalid("headers", name + " is set by the service itself; leave it out");
                }
                if (!seen.add(lower)) {
                    throw invalid("headers", name + " is given twice");
                }
                JsonNode value = header.getValue();
                if (!value.isValueNode() || value.isNull()) {
                    throw invalid("headers", name + " must have a text value");
                }
                String expanded = expand(name, value.asText(), environment);
                if (expanded.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                    throw invalid("headers", name + ": its value holds a line break or NUL character");
                }
                values.put(name, expanded);
            }
            return values;
        }

        /** The value with every {@code ${VAR}} replaced by that environment variable, which must be set. */
        private String expand(String header, String value, Function<String, String> environment) {
            Matcher variables = VARIABLE.matcher(value);
            StringBuilder expanded = new StringBuilder();
            while (variables.find()) {
                String variable = variables.group(1);
                String found = environment.apply(variable);
                if (found == null || found.isEmpty()) {
                    throw invalid("headers", header + ": the environment variable " + variable + " is not set");
                }
                variables.appendReplacement(expanded, Matcher.quoteReplacement(found));
            }
            return variables.appendTail(expanded).toString();
        }

        private Duration timeout(Duration defaultTimeout) {
            JsonNode value = node.path("timeout_ms");
            if (value.isMissingNode() || value.isNull()) {
                return defaultTimeout;
            }
            if (!value.canConvertToExactIntegral() || !value.isNumber() || value.asLong() < 1
                    || value.asLong() > MAX_TIMEOUT_MS) {
                throw invalid("timeout_ms", "must be a whole number of milliseconds from 1 to " + MAX_TIMEOUT_MS
                        + ", got " + value);
            }
            return Duration.ofMillis(value.asLong());
        }

        InvalidToolsFileException invalid(String field, String problem) {
            return new InvalidToolsFileException(file + ": " + where + ": " + field + ": " + problem);
        }
    }
}
