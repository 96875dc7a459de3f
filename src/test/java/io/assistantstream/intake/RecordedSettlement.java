package io.assistantstream.intake;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;

/** An in-memory broker side of settling: remembers each settlement as "ack 7", "requeue 7" or "dead-letter 7: reason". */
final class RecordedSettlement implements Settlement {
    private final List<String> settlements = new CopyOnWriteArrayList<>();

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

    List<String> settlements() {
        return List.copyOf(settlements);
    }
}
