package io.assistantstream.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy that can silence one of the connections through it, picked by the order in
 * which they were opened: a service opens its Redis connections one after another as it starts
 * (commands first), so a test can cut off one of them (the lease's renewals, say) and leave the
 * others working. A silenced connection holds what it read in both directions, loses nothing, and
 * passes it all on once let through again.
 */
final class StallingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    /** Per connection in the order opened: its client side and its upstream side. */
    private final List<Socket[]> connections = new CopyOnWriteArrayList<>();
    private final List<Socket> stalled = new CopyOnWriteArrayList<>();

    StallingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Silences the {@code index}th connection opened (from 0), both ways, without closing it. */
    void stall(int index) {
        Socket[] pair = connections.get(index);
        stalled.add(pair[0]);
        stalled.add(pair[1]);
    }

    /** Lets every silenced connection through again, with what it held. */
    void release() {
        stalled.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                connections.add(new Socket[] {client, upstream});
                Thread.ofVirtual().start(() -> pipe(client, upstream));
                Thread.ofVirtual().start(() -> pipe(upstream, client));
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection fail
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[8192];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                while (stalled.contains(from)) {
                    Thread.sleep(10); // holds what was read: nothing more passes, and nothing is lost
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket[] pair : connections) {
            closeQuietly(pair[0]);
            closeQuietly(pair[1]);
        }
    }
}
