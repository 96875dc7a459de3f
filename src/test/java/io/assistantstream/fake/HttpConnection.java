package io.assistantstream.fake;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One server-side HTTP/1.1 connection: reads requests (keep-alive) and writes plain or chunked answers. */
final class HttpConnection implements Closeable {
    private static final Map<Integer, String> REASONS = Map.of(200, "OK", 400, "Bad Request", 401, "Unauthorized",
            404, "Not Found", 408, "Request Timeout", 409, "Conflict", 429, "Too Many Requests",
            500, "Internal Server Error", 503, "Service Unavailable");

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    HttpConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /** Reads the next request, or returns null when the client closed the connection between requests. */
    FakeOpenAi.RecordedRequest read() throws IOException {
        String start = line();
        while (start != null && start.isEmpty()) {
            start = line();
        }
        if (start == null) {
            return null;
        }
        String[] parts = start.split(" ");
        if (parts.length != 3) {
            throw new IOException("bad request line: " + start);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(); h != null && !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            for (int size; (size = Integer.parseInt(requiredLine().split(";")[0].trim(), 16)) > 0; ) {
                buf.write(in.readNBytes(size));
                requiredLine();
            }
            for (String trailer = line(); trailer != null && !trailer.isEmpty(); trailer = line()) {
                // trailers are ignored
            }
            body = buf.toByteArray();
        } else {
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            body = in.readNBytes(length);
            if (body.length < length) {
                throw new EOFException("body cut short");
            }
        }
        String target = parts[1];
        int q = target.indexOf('?');
        return new FakeOpenAi.RecordedRequest(parts[0], q < 0 ? target : target.substring(0, q),
                q < 0 ? "" : target.substring(q + 1), headers, new String(body, StandardCharsets.UTF_8));
    }

    /** Writes a complete answer with Content-Length. */
    void send(int status, String contentType, Map<String, String> headers, byte[] body) throws IOException {
        head(status, contentType, headers, "Content-Length: " + body.length);
        out.write(body);
        out.flush();
    }

    /** Starts a chunked {@code text/event-stream} answer. */
    void startStream(Map<String, String> headers) throws IOException {
        head(200, "text/event-stream; charset=utf-8", headers, "Transfer-Encoding: chunked");
        out.flush();
    }

    /** Writes one chunk and flushes it. */
    void chunk(String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Writes the terminating zero-length chunk; the connection stays usable. */
    void endStream() throws IOException {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Closes the socket at once, without any terminating chunk. */
    void abort() throws IOException {
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private void head(int status, String contentType, Map<String, String> headers, String framing)
            throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ')
                .append(REASONS.getOrDefault(status, "Status")).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append(framing).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private String requiredLine() throws IOException {
        String line = line();
        if (line == null) {
            throw new EOFException("connection closed mid-request");
        }
        return line;
    }

    /** Reads one CRLF- or LF-terminated line (ISO-8859-1), or null at end of stream before any byte. */
    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                if (sb.isEmpty()) {
                    return null;
                }
                throw new EOFException("connection closed mid-line");
            }
            if (sb.length() > 65_536) {
                throw new IOException("line too long");
            }
            sb.append((char) b);
        }
        int end = sb.length();
        return end > 0 && sb.charAt(end - 1) == '\r' ? sb.substring(0, end - 1) : sb.toString();
    }
}
