package io.assistantstream.intake;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;

/**
 * An in-memory broker side of settling: remembers each settlement as "ack 7", "requeue 7" or
 * "dead-letter 7: reason", and each reply as "reply to Q (correlation C): JSON". While
 * {@link #refuseReplies} is set, a reply fails as a broker's refusal would.
 */
final class RecordedSettlement implements Settlement {
    private final List<String> settlements = new CopyOnWriteArrayList<>();
    private volatile boolean refusingReplies;

    @Override
    public void ack(long tag) {
        settlements.add("ack " + tag);
    }

    @Override
    public void requeue(long tag) {
        settlements.add("requeue " + tag);
    }

    @Override
    public void deadLetter(long tag, AMQP.BasicProperties properties, byte[] body, String reason) {
        settlements.add("dead-letter " + tag + ": " + reason);
    }

    @Override
    public void reply(String replyTo, String correlationId, String json) throws IOException {
        if (refusingReplies) {
            throw new IOException("the broker refused the reply (basic.nack)");
        }
        settlements.add("reply to " + replyTo + " (correlation " + correlationId + "): " + json);
    }

    void refuseReplies(boolean refuse) {
        refusingReplies = refuse;
    }

    List<String> settlements() {
        return List.copyOf(settlements);
    }
}
