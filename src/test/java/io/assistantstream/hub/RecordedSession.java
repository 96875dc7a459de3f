package io.assistantstream.hub;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.SocketContext;
import io.helidon.websocket.WsSession;

/**
 * An in-memory {@link WsSession}: what the server sends is kept as text ("pong x", "close 1001 why", or JSON).
 * {@link #pause} makes it a client that stopped reading: a text, a ping or a close then blocks until
 * {@link #resume} (or throws, as a socket write does, when its thread is interrupted).
 */
final class RecordedSession implements WsSession {
    private final BlockingQueue<String> sent = new LinkedBlockingQueue<>();
    private final Object gate = new Object();
    private boolean paused;
    /** Threads waiting for the client to read. */
    private int waiting;

    /** The client stops reading: what is sent from now on waits. */
    void pause() {
        synchronized (gate) {
            paused = true;
        }
    }

    /** The client reads again: what waits goes through. */
    void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    /** Waits up to 5 s until a send (or a close, or a ping) waits for the paused client; fails when none does. */
    void awaitWaitingSend() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        synchronized (gate) {
            while (waiting == 0) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("nothing waited for the client within 5 s");
                }
                TimeUnit.NANOSECONDS.timedWait(gate, left);
            }
        }
    }

    private void awaitReading() {
        synchronized (gate) {
            waiting++;
            gate.notifyAll();
            try {
                while (paused) {
                    gate.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the client was not reading", e);
            } finally {
                waiting--;
            }
        }
    }

    @Override
    public WsSession send(String text, boolean last) {
        awaitReading();
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
        awaitReading();
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
        awaitReading();
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

    /** The next thing sent within {@code millis}, or null. */
    String poll(long millis) throws InterruptedException {
        return sent.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Whether nothing more comes within {@code millis}. */
    boolean quietFor(long millis) throws InterruptedException {
        return sent.poll(millis, TimeUnit.MILLISECONDS) == null;
    }
}
