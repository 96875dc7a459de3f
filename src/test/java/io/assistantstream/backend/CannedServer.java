package io.assistantstream.backend;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 server for answers no fake OpenAI gives: each request is answered by a
 * {@link Answer} chosen by its path, written raw, one request per connection. It records the paths
 * asked for and counts the bytes it wrote, so a test can see what a client read or retried.
 */
public final class CannedServer implements AutoCloseable {
    /** Writes the whole answer (status line, headers, body) to a request for {@code path}. */
    @FunctionalInterface
    public interface Answer {
        void write(String path, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Answer answer;
    private final List<String> paths = new CopyOnWriteArrayList<>();
    private final AtomicLong written = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private CannedServer(Answer answer) throws IOException {
        this.answer = answer;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public static CannedServer start(Answer answer) throws IOException {
        return new CannedServer(answer);
    }

    /** A JSON answer with this status. */
    public static void json(OutputStream out, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " Canned\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
    }

    /**
     * A 200 event stream that starts an event and then sends one line without end, in 64 KiB chunks,
     * until the client hangs up.
     */
    public static void endlessLine(OutputStream out) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        chunk(out, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\""
                .getBytes(StandardCharsets.US_ASCII));
        byte[] more = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        while (true) {
            chunk(out, more);
        }
    }

    private static void chunk(OutputStream out, byte[] bytes) throws IOException {
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The paths of the requests so far, in order. */
    public List<String> paths() {
        return List.copyOf(paths);
    }

    /** The bytes written to every client so far. */
    public long bytesWritten() {
        return written.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            String path = readRequest(socket.getInputStream());
            paths.add(path);
            OutputStream out = new OutputStream() {
                private final OutputStream raw = socket.getOutputStream();

                @Override
                public void write(int b) throws IOException {
                    raw.write(b);
                    written.incrementAndGet();
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    raw.write(b, off, len);
                    written.addAndGet(len);
                }
            };
            answer.write(path, out);
            out.flush();
        } catch (IOException e) {
            // the client hung up
        } finally {
            open.remove(socket);
        }
    }

    /** Reads the head and the body of one request; returns its path. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended early");
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        in.readNBytes(length);
        return text.substring(text.indexOf(' ') + 1, text.indexOf(' ', text.indexOf(' ') + 1));
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
