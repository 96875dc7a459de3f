package io.assistantstream.store;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.RedisCommandInterruptedException;

import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.LuaScript;
import io.assistantstream.redis.RedisConnection;

/**
 * The conversations of the {@code chat} backend, which the model server does not keep: per channel a
 * Redis list at {@code {prefix}history:{channel}} of Chat Completions messages, oldest first, each
 * stored as {@code {"message_id": …, "message": {"role": …}}} with the id of the queue message whose
 * exchange it belongs to. The key lives as long as the channel's mapping ({@code REDIS_THREAD_EXPIRY}),
 * its expiry slid on every read and write.
 *
 * <p>Only whole exchanges are kept (a user message, the assistant's tool calls and their results,
 * the final answer), and at most {@code maxMessages} messages: the oldest exchanges go first, so the
 * kept part always starts at a {@code user} message and no {@code tool} result is ever left without
 * the assistant message that asked for it (a model server refuses such a request). An exchange is
 * written in one script once its answer completed, replacing any earlier one of the same message id,
 * so a message answered again after a lost acknowledgement is in the history once.
 */
public final class ChatHistory {
    private static final Logger LOG = Logger.getLogger(ChatHistory.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** KEYS[1]: the history; ARGV[1]: its expiry in seconds. The entries, oldest first, the expiry slid. */
    private static final String READ = """
            local entries = redis.call('LRANGE', KEYS[1], 0, -1)
            if #entries > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
            return entries
            """;
    /**
     * KEYS[1]: the history; ARGV[1]: the exchange's message id; ARGV[2]: the most messages kept;
     * ARGV[3]: the expiry in seconds; then the exchange's entries. Drops the entries of that message
     * id, appends the exchange, and keeps the longest tail of whole exchanges that fits (it starts
     * at a user message); an entry that is not JSON is dropped.
     */
    private static final String RECORD = """
            local kept, users = {}, {}
            for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
              local ok, decoded = pcall(cjson.decode, entry)
              if ok and type(decoded) == 'table' and decoded.message_id ~= ARGV[1] then
                table.insert(kept, entry)
                users[#kept] = type(decoded.message) == 'table' and decoded.message.role == 'user'
              end
            end
            for i = 4, #ARGV do
              table.insert(kept, ARGV[i])
              users[#kept] = i == 4
            end
            local max, from = tonumber(ARGV[2]), #kept + 1
            for i = 1, #kept do
              if users[i] and #kept - i + 1 <= max then from = i break end
            end
            redis.call('DEL', KEYS[1])
            for i = from, #kept, 1000 do
              redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 999, #kept)))
            end
            if from <= #kept then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
            return #kept - from + 1
            """;

    private final RedisConnection<String, String> redis;
    private final KeySpace keys;
    private final Duration expiry;
    private final int maxMessages;
    private final LuaScript<String, String, List<Object>> read;
    private final LuaScript<String, String, Long> record;

    /**
     * @param expiry      how long a history outlives its last use: the mapping's ({@code REDIS_THREAD_EXPIRY})
     * @param maxMessages the most messages kept, and the most a request carries with its new user message
     *                    ({@code HISTORY_MAX_MESSAGES})
     */
    public ChatHistory(RedisConnection<String, String> redis, KeySpace keys, Duration expiry,
                       int maxMessages) {
        this.redis = redis;
        this.keys = keys;
        this.expiry = expiry;
        this.maxMessages = maxMessages;
        this.read = LuaScript.returningList(redis, READ);
        this.record = LuaScript.returningNumber(redis, RECORD);
    }

    /** One stored message and the id of the queue message whose exchange it belongs to. */
    public record Entry(String messageId, JsonNode message) {
        boolean fromUser() {
            return "user".equals(message.path("role").asText());
        }
    }

    /** Where a channel's history is kept. */
    public static String key(KeySpace keys, String channel) {
        return keys.of("history:", channel);
    }

    /**
     * The past messages a request for {@code messageId} carries before its new user message, oldest
     * first: at most {@code maxMessages - 1}, whole exchanges, none of {@code messageId}'s own (an
     * earlier attempt at the same message). Slides the history's expiry.
     */
    public List<JsonNode> before(String channel, String messageId) throws InterruptedException {
        List<Object> stored = interruptible(() -> read.call(new String[] {key(keys, channel)},
                Long.toString(expiry.toSeconds())));
        List<Entry> entries = new ArrayList<>(stored.size());
        for (Object raw : stored) {
            try {
                JsonNode entry = JSON.readTree((String) raw);
                if (entry != null && entry.path("message").isObject()) {
                    entries.add(new Entry(entry.path("message_id").asText(""), entry.get("message")));
                    continue;
                }
            } catch (IOException e) {
                // not JSON: dropped below, like one without a message
            }
            LOG.warning(() -> "Dropped an unreadable entry of the history of channel " + channel);
        }
        return window(entries, messageId, maxMessages - 1).stream().map(Entry::message).toList();
    }

    /**
     * The longest tail of whole exchanges among {@code entries}, without those of {@code messageId},
     * that has at most {@code max} messages: it starts at a user message, or is empty.
     */
    static List<Entry> window(List<Entry> entries, String messageId, int max) {
        List<Entry> others = entries.stream().filter(entry -> !entry.messageId().equals(messageId)).toList();
        for (int from = 0; from < others.size(); from++) {
            if (others.get(from).fromUser() && others.size() - from <= max) {
                return others.subList(from, others.size());
            }
        }
        return List.of();
    }

    /**
     * Stores the exchange of an answer that completed, its user message first, in place of any
     * earlier one of the same {@code messageId}, and trims the history to whole exchanges; returns
     * how many messages the history now keeps.
     */
    public long record(String channel, String messageId, List<? extends JsonNode> exchange)
            throws InterruptedException {
        if (exchange.isEmpty() || !"user".equals(exchange.getFirst().path("role").asText())) {
            throw new IllegalArgumentException("an exchange starts with its user message");
        }
        String[] args = new String[3 + exchange.size()];
        args[0] = messageId;
        args[1] = Integer.toString(maxMessages);
        args[2] = Long.toString(expiry.toSeconds());
        for (int i = 0; i < exchange.size(); i++) {
            ObjectNode entry = JSON.createObjectNode().put("message_id", messageId);
            entry.set("message", exchange.get(i));
            args[3 + i] = entry.toString();
        }
        return interruptible(() -> record.call(new String[] {key(keys, channel)}, args));
    }

    /** Forgets a channel's history: its conversation starts afresh. */
    public void clear(String channel) throws InterruptedException {
        interruptible(() -> redis.sync().del(key(keys, channel)));
    }

    /**
     * A Redis call on the answer's thread, which a cancel interrupts: the interrupt stays what it is
     * (the answer was cancelled), not a Redis failure that would send the message back to the queue.
     */
    private static <T> T interruptible(Supplier<T> call) throws InterruptedException {
        try {
            return call.get();
        } catch (RedisCommandInterruptedException e) {
            Thread.interrupted(); // lettuce set the flag again; the exception now carries the interrupt
            throw new InterruptedException("a Redis call was interrupted");
        }
    }
}
