package io.assistantstream.intake;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.assistantstream.message.ChatRequest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parser's rules, one call each: no broker, no Redis. Each malformed delivery's reason is
 * checked in full, with the channel and message id the rejection still names; IntakeTest sends one
 * of each kind the wiring treats differently through RabbitMQ.
 */
class RequestParserTest {
    /** The defaults (app.yaml). */
    private static final int MAX_ID_CHARS = 256;
    private static final int MAX_MESSAGE_BYTES = 256 * 1024;
    private static final String JSON = "application/json";

    private final RequestParser parser = new RequestParser(MAX_ID_CHARS, MAX_MESSAGE_BYTES);

    // ---- malformed deliveries ----

    /**
     * A malformed delivery, the reason the parser gives, and the channel and message id it can still
     * name (null when missing or invalid themselves, or not read before the body was given up on).
     */
    private record Bad(String name, byte[] body, String contentType, Reason reason, String channel, String messageId) {
        Bad(String name, String body, Reason reason, String channel, String messageId) {
            this(name, body.getBytes(StandardCharsets.UTF_8), JSON, reason, channel, messageId);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The parser's own words in full, or (where Jackson explains the problem) the parser's prefix
     * followed by the first line of Jackson's message, which must hold {@code jacksonSays}.
     */
    private record Reason(String text, String jacksonSays) {
        static Reason exactly(String reason) {
            return new Reason(reason, null);
        }

        static Reason notJson(String jacksonSays) {
            return new Reason("the body is not valid JSON: ", jacksonSays);
        }

        static Reason ambiguous(String jacksonSays) {
            return new Reason("the body is ambiguous: ", jacksonSays);
        }

        void check(String actual) {
            if (jacksonSays == null) {
                assertEquals(text, actual);
            } else {
                assertTrue(actual.startsWith(text) && actual.indexOf(jacksonSays, text.length()) >= 0,
                        () -> "expected '" + text + "…" + jacksonSays + "…' but was '" + actual + "'");
                assertFalse(actual.contains("\n"), () -> "one line only: " + actual);
            }
        }
    }

    private static Reason exactly(String reason) {
        return Reason.exactly(reason);
    }

    /** Every kind of malformed delivery, with the full reasons. */
    private static List<Bad> badInputs() {
        String big = "x".repeat(256 * 1024 + 1);
        return List.of(
                new Bad("not json", "hello", Reason.notJson("Unrecognized token 'hello'"), null, null),
                new Bad("invalid utf-8", new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, JSON,
                        exactly("the body is not valid UTF-8"), null, null),
                new Bad("empty body", new byte[0], JSON, exactly("the body is empty"), null, null),
                new Bad("array", "[1,2]", exactly("the body is not a JSON object"), null, null),
                new Bad("string", "\"hi\"", exactly("the body is not a JSON object"), null, null),
                new Bad("missing channel", "{\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' is missing"), null, "m"),
                new Bad("missing message_id", "{\"channel\":\"bad\",\"message\":\"x\"}",
                        exactly("field 'message_id' is missing"), "bad", null),
                new Bad("missing message", "{\"channel\":\"bad\",\"message_id\":\"m\"}",
                        exactly("field 'message' is missing"), "bad", "m"),
                new Bad("number channel", "{\"channel\":5,\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' must be a string, got a number"), null, null),
                new Bad("null message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":null}",
                        exactly("field 'message' must be a string, got null"), "bad", "m"),
                new Bad("object message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":{\"a\":1}}",
                        exactly("field 'message' must be a string, got an object"), "bad", "m"),
                new Bad("array message_id", "{\"channel\":\"bad\",\"message_id\":[1],\"message\":\"x\"}",
                        exactly("field 'message_id' must be a string, got an array"), "bad", null),
                new Bad("empty channel", "{\"channel\":\"\",\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' is empty"), null, "m"),
                new Bad("long channel", "{\"channel\":\"" + "c".repeat(257) + "\",\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' has 257 characters, more than the 256 allowed"), null, "m"),
                new Bad("control in channel", "{\"channel\":\"a\\u0007b\",\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' contains control characters"), null, "m"),
                new Bad("newline in message_id", "{\"channel\":\"bad\",\"message_id\":\"m\\n1\",\"message\":\"x\"}",
                        exactly("field 'message_id' contains control characters"), "bad", null),
                new Bad("empty message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"\"}",
                        exactly("field 'message' is empty"), "bad", "m"),
                new Bad("huge message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"" + big + "\"}",
                        exactly("field 'message' has 262145 bytes, more than the 262144 allowed"), "bad", "m"),
                new Bad("duplicate message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"a\",\"message\":\"b\"}",
                        Reason.ambiguous("Duplicate field 'message'"), "bad", "m"),
                new Bad("duplicate channel", "{\"channel\":\"bad\",\"channel\":\"other\",\"message_id\":\"m\",\"message\":\"a\"}",
                        Reason.ambiguous("Duplicate field 'channel'"), null, null),
                new Bad("trailing content", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"a\"} {}",
                        exactly("the body has content after the JSON object"), "bad", "m"),
                new Bad("truncated", "{\"channel\":\"bad\",\"message_id\":\"m\",\"mess",
                        Reason.notJson("Unexpected end-of-input"), "bad", "m"),
                new Bad("null body", "null", exactly("the body is not a JSON object"), null, null),
                new Bad("number body", "42", exactly("the body is not a JSON object"), null, null),
                new Bad("whitespace body", "  \n ", exactly("the body is not a JSON object"), null, null),
                new Bad("boolean channel", "{\"channel\":true,\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' must be a string, got true"), null, null),
                new Bad("object channel", "{\"channel\":{\"id\":\"bad\"},\"message_id\":\"m\",\"message\":\"x\"}",
                        exactly("field 'channel' must be a string, got an object"), null, null),
                new Bad("number message", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":12.5}",
                        exactly("field 'message' must be a string, got a number"), "bad", "m"),
                new Bad("long message_id", "{\"channel\":\"bad\",\"message_id\":\"" + "m".repeat(257) + "\",\"message\":\"x\"}",
                        exactly("field 'message_id' has 257 characters, more than the 256 allowed"), "bad", null),
                new Bad("single quotes", "{'channel':'bad','message_id':'m','message':'x'}",
                        Reason.notJson("Unexpected character ('''"), null, null),
                new Bad("NaN", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":NaN}",
                        Reason.notJson("Non-standard token 'NaN'"), "bad", "m"),
                new Bad("comment", "/* hi */{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"x\"}",
                        Reason.notJson("Unexpected character ('/'"), null, null),
                new Bad("nesting bomb", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"x\",\"extra\":"
                        + "[".repeat(5_000) + "]".repeat(5_000) + "}",
                        Reason.notJson("nesting depth (1001) exceeds the maximum"), "bad", "m"),
                new Bad("wrong content type", "{\"channel\":\"bad\",\"message_id\":\"m\",\"message\":\"a\"}"
                        .getBytes(StandardCharsets.UTF_8), "application/octet-stream",
                        exactly("content type 'application/octet-stream' is not JSON"), null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void a_malformed_delivery_is_rejected_with_its_reason_naming_only_the_ids_that_are_readable(Bad bad) {
        RejectedRequestException rejected = assertThrows(RejectedRequestException.class,
                () -> parser.parse(bad.body(), bad.contentType()), bad.name());
        assertAll(bad.name(),
                () -> bad.reason().check(rejected.getMessage()),
                () -> assertEquals(bad.channel(), rejected.channel(), "channel"),
                () -> assertEquals(bad.messageId(), rejected.messageId(), "message id"));
    }

    // ---- valid deliveries ----

    static Stream<Arguments> validBodies() {
        return Stream.of(
                Arguments.of("the three fields",
                        "{\"channel\":\"c\",\"message_id\":\"m\",\"message\":\"hi\"}",
                        new ChatRequest("c", "m", "hi")),
                Arguments.of("in any order, with whitespace around",
                        " \n{ \"message\" : \"hi\" ,\n\t\"message_id\":\"m\", \"channel\":\"c\" }\r\n ",
                        new ChatRequest("c", "m", "hi")),
                Arguments.of("escapes decoded, a message with control characters",
                        "{\"channel\":\"caf\\u00e9\",\"message_id\":\"m\\/1\",\"message\":\"line\\nnext\\t\\ud83d\\ude00\"}",
                        new ChatRequest("caf\u00e9", "m/1", "line\nnext\t\uD83D\uDE00")),
                Arguments.of("a message of one character, a space",
                        "{\"channel\":\"c\",\"message_id\":\"m\",\"message\":\" \"}",
                        new ChatRequest("c", "m", " ")),
                Arguments.of("unknown extra fields of every shape ignored, before and after",
                        "{\"user\":{\"id\":[1,2],\"channel\":\"nested\"},\"n\":3,\"ok\":true,\"none\":null,"
                                + "\"channel\":\"c\",\"message_id\":\"m\",\"message\":\"hi\","
                                + "\"list\":[{\"message\":\"nested\"},[[]],\"s\",1.5],\"Channel\":\"case matters\",\"empty\":{}}",
                        new ChatRequest("c", "m", "hi")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validBodies")
    void a_well_formed_body_gives_its_three_fields(String name, String body, ChatRequest expected) throws Exception {
        assertEquals(expected, parser.parse(utf8(body), JSON));
    }

    // ---- limits ----

    @ParameterizedTest(name = "{0} of {1} x ''{2}''")
    @CsvSource({
            "channel,    256, c",
            "channel,    256, \u00e9",
            "channel,    256, \uD83D\uDE00",
            "message_id, 256, m",
            "message_id, 256, \u00e9",
            "message_id, 256, \uD83D\uDE00"})
    void an_identifier_of_exactly_the_maximum_code_points_is_accepted(String field, int count, String character)
            throws Exception {
        String id = character.repeat(count);
        ChatRequest request = parser.parse(utf8(withField(field, id)), JSON);
        assertEquals(id, field.equals("channel") ? request.channel() : request.messageId());
    }

    @ParameterizedTest(name = "{0} of 257 x ''{1}''")
    @CsvSource({
            "channel,    c",
            "channel,    \uD83D\uDE00",
            "message_id, m",
            "message_id, \uD83D\uDE00"})
    void an_identifier_one_code_point_over_the_maximum_is_rejected(String field, String character) {
        RejectedRequestException rejected = assertThrows(RejectedRequestException.class,
                () -> parser.parse(utf8(withField(field, character.repeat(257))), JSON));
        assertEquals("field '" + field + "' has 257 characters, more than the 256 allowed", rejected.getMessage());
    }

    /** {@code character} repeated, padded with 'x' to exactly {@code bytes} UTF-8 bytes. */
    private static String messageOf(int bytes, String character) {
        int each = utf8(character).length;
        return character.repeat(bytes / each) + "x".repeat(bytes % each);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"x", "\u00e9", "\u20ac", "\uD83D\uDE00"}) // 1, 2, 3 and 4 bytes
    void a_message_of_exactly_the_maximum_utf8_bytes_is_accepted(String character) throws Exception {
        String message = messageOf(MAX_MESSAGE_BYTES, character);
        assertEquals(MAX_MESSAGE_BYTES, utf8(message).length);
        assertEquals(message, parser.parse(utf8(withField("message", message)), JSON).message());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"x", "\u00e9", "\u20ac", "\uD83D\uDE00"})
    void a_message_one_utf8_byte_over_the_maximum_is_rejected_however_few_characters_it_has(String character) {
        String message = messageOf(MAX_MESSAGE_BYTES, character) + "x";
        RejectedRequestException rejected = assertThrows(RejectedRequestException.class,
                () -> parser.parse(utf8(withField("message", message)), JSON));
        assertAll(
                () -> assertEquals("field 'message' has 262145 bytes, more than the 262144 allowed", rejected.getMessage()),
                () -> assertEquals("c", rejected.channel()),
                () -> assertEquals("m", rejected.messageId()));
    }

    // ---- content type ----

    @ParameterizedTest(name = "{0}")
    @NullSource
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
            "application/vnd.api+json", "text/plain", "Text/Plain; charset=UTF-8"})
    void a_content_type_that_is_absent_or_names_json_or_text_is_accepted(String contentType) throws Exception {
        assertEquals(new ChatRequest("c", "m", "hi"), parser.parse(utf8(withField("message", "hi")), contentType));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"application/octet-stream", "application/xml", "image/png", "multipart/form-data"})
    void any_other_content_type_is_rejected_before_the_body_is_read(String contentType) {
        RejectedRequestException rejected = assertThrows(RejectedRequestException.class,
                () -> parser.parse(new byte[0], contentType));
        assertAll(
                () -> assertEquals("content type '" + contentType + "' is not JSON", rejected.getMessage()),
                () -> assertNull(rejected.channel()),
                () -> assertNull(rejected.messageId()));
    }

    // ---- helpers ----

    /** A valid body (channel "c", message_id "m", message "hi") with {@code field} set to {@code value}. */
    private static String withField(String field, String value) {
        String channel = field.equals("channel") ? value : "c";
        String messageId = field.equals("message_id") ? value : "m";
        String message = field.equals("message") ? value : "hi";
        return "{\"channel\":\"" + channel + "\",\"message_id\":\"" + messageId + "\",\"message\":\"" + message + "\"}";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void a_cancel_on_the_queue_is_read_as_a_cancel_and_one_with_a_message_or_another_action_is_refused()
            throws Exception {
        byte[] cancel = "{\"channel\":\"c\",\"message_id\":\"m\",\"action\":\"cancel\"}".getBytes(StandardCharsets.UTF_8);
        assertEquals(new io.assistantstream.message.CancelRequest("c", "m"), parser.read(cancel, null));
        assertThrows(RejectedRequestException.class, () -> parser.parse(cancel, null), "not a chat message");
        for (String body : List.of("{\"channel\":\"c\",\"message_id\":\"m\",\"action\":\"cancel\",\"message\":\"x\"}",
                "{\"channel\":\"c\",\"message_id\":\"m\",\"action\":\"stop\"}",
                "{\"channel\":\"c\",\"action\":\"cancel\"}")) {
            RejectedRequestException refused = assertThrows(RejectedRequestException.class,
                    () -> parser.read(body.getBytes(StandardCharsets.UTF_8), null), body);
            assertEquals("c", refused.channel(), "its channel is known, for an error frame");
        }
    }

    @Test
    void a_message_may_name_its_multitask_policy_and_a_policy_that_does_not_exist_is_refused() throws Exception {
        String body = "{\"channel\":\"c\",\"message_id\":\"m\",\"message\":\"hi\",\"multitask\":\"%s\"}";
        assertEquals("interrupt", parser.parse(body.formatted("interrupt").getBytes(StandardCharsets.UTF_8), null)
                .multitask());
        RejectedRequestException refused = assertThrows(RejectedRequestException.class,
                () -> parser.parse(body.formatted("shout").getBytes(StandardCharsets.UTF_8), null));
        assertTrue(refused.getMessage().contains("'multitask' must be enqueue, reject or interrupt"), refused.getMessage());
    }
}
