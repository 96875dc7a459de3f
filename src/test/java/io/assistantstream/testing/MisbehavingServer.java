package io.assistantstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server that misbehaves the same way on every connection, and counts them; for the
 * tests of the classes that meet such servers (the OpenAI client, the weather tool).
 */
public final class MisbehavingServer implements AutoCloseable {
    /** What the server does with each connection. */
    public enum Way {
        /** Reads the request, then closes the connection without a word. */
        CLOSE,
        /** Reads the request, then resets the connection (SO_LINGER 0). */
        RESET,
        /** Reads the request and says nothing, until closed. */
        SILENT,
        /** Answers a TLS client hello with plain HTTP. */
        NOT_TLS,
        /** Answers with something that is not HTTP. */
        NOT_HTTP,
        /** Sends a 200 whose body is cut short, then closes. */
        CLOSE_MID_BODY,
        /** Sends a 200 whose body is cut short, then resets. */
        RESET_MID_BODY
    }

    private final ServerSocket server;
    private final Way way;
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private MisbehavingServer(Way way) throws IOException {
        this.way = way;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public static MisbehavingServer start(Way way) throws IOException {
        return new MisbehavingServer(way);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code scheme://127.0.0.1:port/}. */
    public String url(String scheme) {
        return scheme + "://127.0.0.1:" + port() + "/";
    }

    /** The connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                open.add(socket);
                Thread.ofVirtual().start(() -> misbehave(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void misbehave(Socket socket) {
        try (socket) {
            readRequest(socket);
            switch (way) {
                case CLOSE -> {
                }
                case RESET -> socket.setSoLinger(true, 0);
                case SILENT -> {
                    while (!server.isClosed()) {
                        Thread.sleep(20);
                    }
                }
                case NOT_TLS -> write(socket, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                case NOT_HTTP -> write(socket, "SSH-2.0-OpenSSH_9.6\r\n\r\n");
                case CLOSE_MID_BODY -> write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":");
                case RESET_MID_BODY -> {
                    write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":");
                    socket.setSoLinger(true, 0);
                }
            }
        } catch (IOException e) {
            // the client went away first
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    /**
     * Reads what the client sends until it pauses, so that nothing unread is left when the
     * socket closes (which would turn a close into a reset).
     */
    private static void readRequest(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        if (in.read(buffer) < 0) {
            return;
        }
        socket.setSoTimeout(50);
        try {
            while (in.read(buffer) >= 0) {
                // more of the request
            }
        } catch (SocketTimeoutException paused) {
            // all of it, as the client waits for an answer now
        }
        socket.setSoTimeout(0);
    }

    private static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
