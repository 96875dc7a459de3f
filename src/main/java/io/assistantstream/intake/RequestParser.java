package io.assistantstream.intake;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

import io.assistantstream.message.CancelRequest;
import io.assistantstream.message.ChatRequest;
import io.assistantstream.message.Identifiers;
import io.assistantstream.message.QueueInput;

/**
 * Validates a delivery's body: UTF-8 JSON, one object, the three required string
 * fields within their limits, no duplicate keys (a body with two {@code channel}s is ambiguous),
 * nothing after the object. Unknown extra fields are ignored. Streams the body with Jackson's
 * parser rather than building a tree, so a huge body costs one pass.
 */
public final class RequestParser {
    /** A shared buffer pool: Jackson's default is per thread, and every delivery has a thread of its own. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .recyclerPool(JsonRecyclerPools.sharedLockFreePool()).build();

    private static final java.util.Set<String> MULTITASK = java.util.Set.of("enqueue", "reject", "interrupt");

    private final int maxIdChars;
    private final int maxMessageBytes;

    public RequestParser(int maxIdChars, int maxMessageBytes) {
        this.maxIdChars = maxIdChars;
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * @param contentType the AMQP content type, or null when the producer set none
     * @throws RejectedRequestException with the reason, and the channel if it is readable
     */
    public ChatRequest parse(byte[] body, String contentType) throws RejectedRequestException {
        QueueInput input = read(body, contentType);
        if (input instanceof ChatRequest request) {
            return request;
        }
        throw new RejectedRequestException("a cancel, not a chat message", input.channel(), input.messageId());
    }

    /**
     * A chat message, or a cancel: {@code {"channel","message_id","action":"cancel"}} with no
     * {@code message}.
     *
     * @param contentType the AMQP content type, or null when the producer set none
     * @throws RejectedRequestException with the reason, and the channel if it is readable
     */
    public QueueInput read(byte[] body, String contentType) throws RejectedRequestException {
        Fields fields = new Fields();
        try {
            if (contentType != null && !acceptable(contentType)) {
                throw new IllegalArgumentException("content type '" + contentType + "' is not JSON");
            }
            if (body.length == 0) {
                throw new IllegalArgumentException("the body is empty");
            }
            String text = strictUtf8(body);
            read(text, fields);
            if (fields.action != null) {
                if (!fields.action.equals("cancel")) {
                    throw new IllegalArgumentException("unknown action '" + fields.action + "': the only one is cancel");
                }
                if (fields.message != null) {
                    throw new IllegalArgumentException("a cancel carries no 'message': give only channel, message_id"
                            + " and action");
                }
                return new CancelRequest(checkedId("channel", fields.channel), checkedId("message_id", fields.messageId));
            }
            if (fields.multitask != null && !MULTITASK.contains(fields.multitask)) {
                throw new IllegalArgumentException("field 'multitask' must be enqueue, reject or interrupt, got '"
                        + fields.multitask + "'");
            }
            return new ChatRequest(
                    checkedId("channel", fields.channel),
                    checkedId("message_id", fields.messageId),
                    checkedMessage(fields.message),
                    fields.multitask);
        } catch (IllegalArgumentException e) {
            throw new RejectedRequestException(e.getMessage(), validOrNull(fields.channel), validOrNull(fields.messageId));
        }
    }

    private static boolean acceptable(String contentType) {
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.contains("json") || type.startsWith("text/");
    }

    private static String strictUtf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the body is not valid UTF-8");
        }
    }

    private static void read(String text, Fields fields) {
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the body is not a JSON object");
            }
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "channel" -> fields.channel = stringField(parser, name, value);
                    case "message_id" -> fields.messageId = stringField(parser, name, value);
                    case "message" -> fields.message = stringField(parser, name, value);
                    case "action" -> fields.action = stringField(parser, name, value);
                    case "multitask" -> fields.multitask = stringField(parser, name, value);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("the body has content after the JSON object");
            }
        } catch (IOException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            if (reason.startsWith("Duplicate field")) {
                if (reason.contains("'channel'")) {
                    fields.channel = null; // which of the two? neither gets an error frame
                }
                throw new IllegalArgumentException("the body is ambiguous: " + reason);
            }
            throw new IllegalArgumentException("the body is not valid JSON: " + reason);
        }
    }

    private static String stringField(JsonParser parser, String name, JsonToken value) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            parser.skipChildren();
            throw new IllegalArgumentException("field '" + name + "' must be a string, got " + kind(value));
        }
        return parser.getText();
    }

    /** What a JSON value is, in words. */
    private static String kind(JsonToken value) {
        return switch (value) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> "something else";
        };
    }

    private String checkedId(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("field '" + name + "' is missing");
        }
        String problem = idProblem(value);
        if (problem != null) {
            throw new IllegalArgumentException("field '" + name + "' " + problem);
        }
        return value;
    }

    private String checkedMessage(String value) {
        if (value == null) {
            throw new IllegalArgumentException("field 'message' is missing");
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException("field 'message' is empty");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxMessageBytes) {
            throw new IllegalArgumentException("field 'message' has " + bytes + " bytes, more than the "
                    + maxMessageBytes + " allowed");
        }
        return value;
    }

    private String idProblem(String value) {
        return Identifiers.problem(value, maxIdChars);
    }

    private String validOrNull(String value) {
        return value != null && idProblem(value) == null ? value : null;
    }

    /** The fields as far as they could be read, so a rejection can still name the channel. */
    private static final class Fields {
        private String channel;
        private String messageId;
        private String message;
        private String action;
        private String multitask;
    }
}
