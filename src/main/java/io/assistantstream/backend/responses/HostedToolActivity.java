package io.assistantstream.backend.responses;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the hosted tools of one answer are doing ({@code OPENAI_HOSTED_TOOLS}: tools the model server
 * runs itself), in words for its {@code processing} frames, each told once per answer. A hosted tool
 * shows up as an output item ({@code response.output_item.added} with a {@code web_search_call},
 * {@code mcp_call}, … item), then as progress events named after the item's type
 * ({@code response.web_search_call.searching}, {@code response.mcp_call_arguments.delta}, …). The
 * item names the MCP server and tool; a progress event is read from its name alone (an image
 * generation's partial image is large) and worded like the latest item of its kind.
 */
final class HostedToolActivity {
    /** The item types of hosted tools, and what each does in words when its item says no more. */
    private static final Map<String, String> KINDS = Map.of(
            "web_search_call", "Searching the web",
            "file_search_call", "Searching files",
            "mcp_list_tools", "Listing the tools of an MCP server",
            "mcp_call", "Calling a tool of an MCP server",
            "code_interpreter_call", "Running code",
            "image_generation_call", "Generating an image");
    /** Progress events whose name is not their item's type. */
    private static final Map<String, String> ALIASES = Map.of(
            "mcp_call_arguments", "mcp_call",
            "code_interpreter_call_code", "code_interpreter_call");
    /** The longest MCP server label or tool name put in words: they come from the server. */
    private static final int MAX_NAME_CHARS = 64;

    private final Map<String, String> latest = new HashMap<>();
    private final Set<String> told = new HashSet<>();

    /** The activity to tell for an output item that starts, when it is a hosted tool's and was not told yet. */
    Optional<String> itemAdded(JsonNode item) {
        String kind = item.path("type").asText("");
        if (!KINDS.containsKey(kind)) {
            return Optional.empty();
        }
        String server = name(item.path("server_label"));
        String tool = name(item.path("name"));
        String words = switch (kind) {
            case "mcp_list_tools" -> server == null ? KINDS.get(kind) : "Listing the tools of " + server;
            case "mcp_call" -> tool == null ? KINDS.get(kind)
                    : "Calling " + tool + (server == null ? "" : " on " + server);
            default -> KINDS.get(kind);
        };
        latest.put(kind, words);
        return tell(words);
    }

    /**
     * The activity to tell for an event, when it is a hosted tool's progress event
     * ({@code response.<item type>.<stage>}) and its activity was not told yet.
     */
    Optional<String> progress(String eventType) {
        int stage = eventType.lastIndexOf('.');
        if (!eventType.startsWith("response.") || stage <= "response.".length()) {
            return Optional.empty();
        }
        String kind = eventType.substring("response.".length(), stage);
        kind = ALIASES.getOrDefault(kind, kind);
        String words = latest.getOrDefault(kind, KINDS.get(kind));
        return words == null ? Optional.empty() : tell(words);
    }

    private Optional<String> tell(String words) {
        return told.add(words) ? Optional.of(words) : Optional.empty();
    }

    /** A name from the server fit to show: printable, not too long; null when there is none. */
    private static String name(JsonNode value) {
        String text = value.isTextual() ? value.asText().replaceAll("\\p{Cntrl}", "").strip() : "";
        if (text.isEmpty()) {
            return null;
        }
        return text.length() <= MAX_NAME_CHARS ? text : text.substring(0, MAX_NAME_CHARS) + "…";
    }
}
