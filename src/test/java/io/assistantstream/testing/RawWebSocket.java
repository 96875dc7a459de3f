package io.assistantstream.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written on a plain socket, for what no well-behaved client does: a handshake
 * with any {@code Origin}, and a peer that stops reading (and so never answers a ping) after it
 * subscribed.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final String response;

    private RawWebSocket(Socket socket, String response) {
        this.socket = socket;
        this.response = response;
    }

    /** Sends the handshake for {@code /ws} (with {@code Origin: origin} unless null) and reads the response head. */
    public static RawWebSocket handshake(int port, String origin) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int next = in.read();
            if (next < 0) {
                break;
            }
            head.write(next);
        }
        return new RawWebSocket(socket, head.toString(StandardCharsets.US_ASCII));
    }

    /** The HTTP status of the handshake's response: 101 when upgraded. */
    public int status() {
        String[] statusLine = response.split(" ", 3);
        return statusLine.length < 2 ? -1 : Integer.parseInt(statusLine[1]);
    }

    /** Sends one text message, masked as a client must. */
    public void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("only short messages");
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        OutputStream out = socket.getOutputStream();
        out.write(frame);
        out.flush();
    }

    /**
     * Sends one frame of any length, masked: {@code opcode} 1 text, 2 binary, 0 continuation, 9 ping;
     * {@code fin} false for a message's first parts. The payload is sent as given, valid UTF-8 or not.
     */
    public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xFF);
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        OutputStream out = socket.getOutputStream();
        out.write(frame.toByteArray());
        out.flush();
    }

    /** Reads the next frame the server sent (a short text message, say the subscribe acknowledgement) as text. */
    public String readText() throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        in.readUnsignedByte();
        int length = in.readUnsignedByte() & 0x7F;
        if (length >= 126) {
            throw new IllegalStateException("only short messages");
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /**
     * Reads everything the server sent, frame by frame, until it closed the connection; returns the
     * code of the close frame among them, or -1 if none came. Fails when the connection is still
     * open after {@code timeout}.
     */
    public int closeCode(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int code = -1;
        try {
            while (true) {
                int opcode = in.readUnsignedByte() & 0x0F;
                long length = in.readUnsignedByte() & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = in.readNBytes((int) length);
                if (opcode == 0x8 && payload.length >= 2) {
                    code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within " + timeout
                    + (code < 0 ? "" : " (it sent a close frame with " + code + ")"));
        } catch (IOException e) { // the end of the stream, or a reset after the close
            return code;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
