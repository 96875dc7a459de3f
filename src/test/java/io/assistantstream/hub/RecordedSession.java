package io.assistantstream.hub;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.SocketContext;
import io.helidon.websocket.WsSession;

/** An in-memory {@link WsSession}: what the server sends is kept as text ("pong x", "close 1001 why", or JSON). */
final class RecordedSession implements WsSession {
    private final BlockingQueue<String> sent = new LinkedBlockingQueue<>();

    @Override
    public WsSession send(String text, boolean last) {
        sent.add(text);
        return this;
    }

    @Override
    public WsSession send(BufferData bufferData, boolean last) {
        sent.add("binary");
        return this;
    }

    @Override
    public WsSession ping(BufferData bufferData) {
        sent.add("ping");
        return this;
    }

    @Override
    public WsSession pong(BufferData bufferData) {
        sent.add("pong " + bufferData.readString(bufferData.available()));
        return this;
    }

    @Override
    public WsSession close(int code, String reason) {
        sent.add("close " + code + " " + reason);
        return this;
    }

    @Override
    public WsSession terminate() {
        sent.add("terminate");
        return this;
    }

    @Override
    public SocketContext socketContext() {
        throw new UnsupportedOperationException("no socket in memory");
    }

    /** The next thing sent, waiting up to 5 s; fails when nothing comes. */
    String next() throws InterruptedException {
        String next = sent.poll(5, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("nothing was sent within 5 s");
        }
        return next;
    }

    /** Whether nothing more comes within {@code millis}. */
    boolean quietFor(long millis) throws InterruptedException {
        return sent.poll(millis, TimeUnit.MILLISECONDS) == null;
    }
}
