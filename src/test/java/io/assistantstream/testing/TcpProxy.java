package io.assistantstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A loopback TCP proxy that a test can use to cut every connection through it, as a network fault would. */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Socket> stalled = ConcurrentHashMap.newKeySet();
    /** Per connection in the order opened: its client side and its upstream side. */
    private final List<Socket[]> opened = new CopyOnWriteArrayList<>();
    private final AtomicInteger cutsOnSent = new AtomicInteger();
    private volatile boolean refusing;
    private volatile boolean holding;
    private volatile String cutOn;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** How many connections it has let through so far. */
    public int connectionsOpened() {
        return opened.size();
    }

    /** Cuts every connection and hangs up on new ones (true), as a server that went away; or lets them through again. */
    public void refuse(boolean refuse) {
        refusing = refuse;
        if (refuse) {
            cutAll();
        }
    }

    /**
     * Stops forwarding on every connection now open, in both directions, without closing it: the
     * peers see a network that went silent (a cable pulled, a NAT entry gone). New connections pass.
     */
    public void stallAll() {
        stalled.addAll(open);
    }

    /**
     * Silences the {@code index}th connection opened (from 0), both ways, without closing it: what it
     * sends is held, not lost (a service's first connection is its commands connection, say).
     */
    public void stall(int index) {
        Socket[] pair = opened.get(index);
        stalled.add(pair[0]);
        stalled.add(pair[1]);
    }

    /** Lets every silenced connection through again, with what it held. */
    public void release() {
        stalled.clear();
    }

    /**
     * While true, new connections are accepted and held: nothing passes either way, and nothing is lost,
     * as on a network that stopped answering; false lets every connection through again.
     */
    public void holdNew(boolean hold) {
        holding = hold;
        if (!hold) {
            stalled.clear();
        }
    }

    /**
     * While {@code marker} is set (null: never), a connection whose client sends it (a Redis command's
     * name, say) is closed before that reaches the server, as a network that fails at that moment would.
     * A marker split across two reads is not seen.
     */
    public void cutWhenSent(String marker) {
        cutOn = marker;
    }

    /** How many connections {@link #cutWhenSent} has closed. */
    public int cutsWhenSent() {
        return cutsOnSent.get();
    }

    /** Closes every connection now open; new ones are accepted as before. */
    public void cutAll() {
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
        stalled.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (refusing) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(upstream);
                opened.add(new Socket[] {client, upstream});
                if (holding) {
                    stalled.add(client);
                    stalled.add(upstream);
                }
                Thread.ofVirtual().start(() -> pipe(client, upstream, true));
                Thread.ofVirtual().start(() -> pipe(upstream, client, false));
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection fail
            }
        }
    }

    private void pipe(Socket from, Socket to, boolean fromClient) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[8192];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                while (stalled.contains(from)) {
                    Thread.sleep(10); // holds what was read: nothing more passes, and nothing is lost
                }
                String marker = cutOn;
                if (fromClient && marker != null
                        && new String(buffer, 0, read, StandardCharsets.ISO_8859_1).contains(marker)) {
                    cutsOnSent.incrementAndGet();
                    return; // the finally closes both sides
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
        cutAll();
    }
}
