package org.jlxcfs.daemon.keeper;

import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.UnixSocket;
import org.jlxcfs.daemon.keeper.KeeperProtocol.Message;
import org.jlxcfs.daemon.keeper.KeeperProtocol.ProtocolException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Holds the /dev/fuse descriptors of live jlxcfs mounts (and what was agreed in INIT) so the
 * connection outlives the daemon: while any process holds one of its fds the kernel keeps a
 * FUSE connection alive, and requests simply wait for the next daemon. Small on purpose: it
 * never reads or answers FUSE requests, so nothing a container does can crash it.
 *
 * <p>Only root (and the keeper's own user) may talk to it: the socket is 0600 in a 0700
 * directory, and every connection's peer credentials are checked; a stranger's connection is
 * closed without a word.
 */
public final class Keeper {
    private static final System.Logger LOG = System.getLogger("jlxcfs.keeper");

    /** One mount's descriptors: the master first, then the worker clones. */
    record Held(int[] fds, String state, int pid) {}

    private final Path socketPath;
    private final Map<String, Held> held = new LinkedHashMap<>();
    private final int ownUid = Libc.getuid();

    /** Exit after holding nothing for this long (0: never); for keepers a daemon started itself. */
    private final long idleExitMillis;

    public Keeper(Path socketPath, long idleExitMillis) {
        this.socketPath = socketPath;
        this.idleExitMillis = idleExitMillis;
    }

    /** Serves until killed, or until it has held nothing for the idle time. */
    public void run() throws IOException {
        Path dir = socketPath.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socketPath);
        try (UnixSocket server = UnixSocket.listen(socketPath)) {
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
            LOG.log(System.Logger.Level.INFO, "keeper listening on " + socketPath);
            server.receiveTimeout(1000); // accept() wakes up every second to check for idleness
            long idleSince = System.nanoTime();
            while (true) {
                try (UnixSocket c = server.accept()) {
                    serve(c);
                } catch (org.jlxcfs.fuse.LibcException e) {
                    if (e.errno() != org.jlxcfs.fuse.Errno.EAGAIN) {
                        LOG.log(System.Logger.Level.WARNING, "keeper accept failed: " + e.getMessage());
                    }
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "keeper connection failed: " + e.getMessage());
                }
                if (!held.isEmpty()) {
                    idleSince = System.nanoTime();
                } else if (idleExitMillis > 0 && System.nanoTime() - idleSince > idleExitMillis * 1_000_000L) {
                    LOG.log(System.Logger.Level.INFO, "keeper held nothing for " + idleExitMillis / 1000 + " s; exiting");
                    Files.deleteIfExists(socketPath);
                    return;
                }
            }
        }
    }

    private void serve(UnixSocket c) throws IOException {
        UnixSocket.Credentials peer = c.peer();
        if (peer.uid() != 0 && peer.uid() != ownUid) {
            LOG.log(System.Logger.Level.WARNING, "refused a keeper connection from uid " + peer.uid() + " (pid "
                    + peer.pid() + "): only root may hand over FUSE sessions");
            return;
        }
        c.receiveTimeout(5000);
        UnixSocket.Message m = c.receive();
        try {
            Message request = KeeperProtocol.decode(m.data());
            answer(c, request, m.fds(), peer);
        } catch (ProtocolException e) {
            Libc.closeAll(m.fds()); // a refused request's fds are not kept
            LOG.log(System.Logger.Level.WARNING, "rejected a keeper request from pid " + peer.pid() + ": " + e.getMessage());
            c.send(KeeperProtocol.encode("ERR", Map.of("reason", e.getMessage())));
        }
    }

    private void answer(UnixSocket c, Message request, int[] fds, UnixSocket.Credentials peer)
            throws IOException, ProtocolException {
        switch (request.verb()) {
            case "PING" -> c.send(KeeperProtocol.encode("OK", Map.of("version", String.valueOf(KeeperProtocol.VERSION))));
            case "PUT" -> {
                String mount = request.field("mount");
                String state = request.field("state");
                int pid = parsePid(request.field("pid"));
                if (fds.length == 0) throw new ProtocolException("PUT for " + mount + " carries no fds");
                try {
                    InitState.fromBytes(Base64.getDecoder().decode(state));
                } catch (IOException | IllegalArgumentException e) {
                    throw new ProtocolException("PUT for " + mount + " has an unreadable INIT state: " + e.getMessage());
                }
                Held old = held.put(mount, new Held(fds, state, pid));
                if (old != null) Libc.closeAll(old.fds());
                LOG.log(System.Logger.Level.INFO, "holding " + mount + " for pid " + pid + " (" + fds.length + " fds)");
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "GET" -> {
                String mount = request.field("mount");
                Held h = held.get(mount);
                if (h != null && !alive(h.fds()[0])) {
                    LOG.log(System.Logger.Level.INFO, "the FUSE connection of " + mount + " was aborted; dropping it");
                    Libc.closeAll(held.remove(mount).fds());
                    h = null;
                }
                if (h == null) {
                    c.send(KeeperProtocol.encode("NONE", Map.of()));
                } else {
                    c.send(KeeperProtocol.encode("OK", Map.of("state", h.state(), "pid", String.valueOf(h.pid()),
                            "fds", String.valueOf(h.fds().length))), h.fds());
                }
            }
            case "DROP" -> {
                Held h = held.remove(request.field("mount"));
                if (h != null) {
                    Libc.closeAll(h.fds());
                    LOG.log(System.Logger.Level.INFO, "let go of " + request.field("mount"));
                }
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "LIST" -> {
                Map<String, String> out = new LinkedHashMap<>();
                int i = 0;
                for (var e : held.entrySet()) out.put("mount." + i++, e.getKey() + " pid=" + e.getValue().pid());
                c.send(KeeperProtocol.encode("OK", out));
            }
            default -> throw new ProtocolException("'" + request.verb() + "' is an answer, not a request");
        }
    }

    private static int parsePid(String s) throws ProtocolException {
        try {
            int pid = Integer.parseInt(s);
            if (pid <= 0) throw new NumberFormatException();
            return pid;
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad pid '" + s + "'");
        }
    }

    /** A /dev/fuse fd reports POLLERR once its connection is aborted. */
    private static boolean alive(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(8, 4);
            p.set(JAVA_INT, 0, fd);
            p.set(JAVA_SHORT, 4, Libc.POLLIN);
            int r = Libc.poll(p, 1, 0);
            return r >= 0 && (p.get(JAVA_SHORT, 6) & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) == 0;
        }
    }
}
