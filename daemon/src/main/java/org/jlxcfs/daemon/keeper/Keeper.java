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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Holds the /dev/fuse descriptors of live jlxcfs mounts (and what was agreed in INIT) so the
 * connection outlives the daemon: while any process holds one of its fds the kernel keeps a
 * FUSE connection alive, and requests simply wait for the next daemon. Small on purpose: it
 * never reads or answers FUSE requests, so nothing a container does can crash it.
 *
 * <p>It also watches each daemon whose fds it holds (a pidfd, in the same poll as its socket):
 * the moment one dies it asks the kernel to resend what that daemon had read (so a reader stuck
 * on it can be killed and the next daemon answers it), starts the daemon again from the verified
 * command line it recorded (unless told not to), and gives the connection up when no daemon has
 * served it for {@code giveUpMillis}, so readers get ENOTCONN rather than hang.
 *
 * <p>Only root (and the keeper's own user) may talk to it: the socket is 0600 in a 0700
 * directory, and every connection's peer credentials are checked; a stranger's connection is
 * closed without a word. A PUT must come from the process it names (pid, start time, command line).
 */
public final class Keeper {
    private static final System.Logger LOG = System.getLogger("jlxcfs.keeper");

    private final Path socketPath;
    private final Map<String, HeldMount> held = new LinkedHashMap<>();
    private final int ownUid = Libc.getuid();

    /** Exit after holding nothing for this long (0: never); for keepers a daemon started itself. */
    private final long idleExitMillis;
    /** Start a dead daemon again (off under Kubernetes, where the kubelet does). */
    private final boolean restart;
    /** Give a connection up when no daemon has served it for this long (0: never). */
    private final long giveUpMillis;

    public Keeper(Path socketPath, long idleExitMillis, boolean restart, long giveUpMillis) {
        this.socketPath = socketPath;
        this.idleExitMillis = idleExitMillis;
        this.restart = restart;
        this.giveUpMillis = giveUpMillis;
    }

    /** Serves until killed, or until it has held nothing for the idle time. */
    public void run() throws IOException {
        Path dir = socketPath.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socketPath);
        try (UnixSocket server = UnixSocket.listen(socketPath); Arena arena = Arena.ofConfined()) {
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
            LOG.log(System.Logger.Level.INFO, "keeper listening on " + socketPath + (restart ? "" : " (--no-restart)")
                    + (giveUpMillis > 0 ? "; gives a connection up after " + giveUpMillis / 1000 + " s without a daemon" : ""));
            MemorySegment pollfds = arena.allocate(8L * (1 + 2 * UnixSocket.MAX_FDS), 4);
            long idleSince = System.currentTimeMillis();
            while (true) {
                long now = System.currentTimeMillis();
                supervise(now);
                if (!held.isEmpty()) {
                    idleSince = now;
                } else if (idleExitMillis > 0 && now - idleSince > idleExitMillis) {
                    LOG.log(System.Logger.Level.INFO, "keeper held nothing for " + idleExitMillis / 1000 + " s; exiting");
                    Files.deleteIfExists(socketPath);
                    return;
                }
                int n = pollSet(pollfds, server.fd());
                int r = Libc.poll(pollfds, n, timeout(now, idleSince));
                if (r <= 0) continue; // timeout, or EINTR
                if ((pollfds.get(JAVA_SHORT, 6) & Libc.POLLIN) == 0) continue; // a pidfd: supervise() sees it
                try (UnixSocket c = server.accept()) {
                    serve(c);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "keeper connection failed: " + e.getMessage());
                }
            }
        }
    }

    /** The listen socket first, then every pidfd worth waking up for. */
    private int pollSet(MemorySegment p, int listenFd) {
        List<Integer> fds = new ArrayList<>();
        fds.add(listenFd);
        for (HeldMount m : held.values()) {
            if (m.current != null) fds.add(m.current.pidfd().fd());
            m.retired.forEach(d -> fds.add(d.pidfd().fd()));
            m.supervisor.child().ifPresent(c -> fds.add(c.fd()));
        }
        int n = (int) Math.min(fds.size(), p.byteSize() / 8);
        for (int i = 0; i < n; i++) {
            p.set(JAVA_INT, 8L * i, fds.get(i));
            p.set(JAVA_SHORT, 8L * i + 4, Libc.POLLIN);
            p.set(JAVA_SHORT, 8L * i + 6, (short) 0);
        }
        return n;
    }

    /** Until the next start, give-up or idle exit is due (at most a minute). */
    private int timeout(long now, long idleSince) {
        long next = now + 60_000;
        for (HeldMount m : held.values()) {
            if (m.supervisor.dueAt() >= 0) next = Math.min(next, m.supervisor.dueAt());
            if (m.unservedSince >= 0 && giveUpMillis > 0) next = Math.min(next, m.unservedSince + giveUpMillis);
        }
        if (held.isEmpty() && idleExitMillis > 0) next = Math.min(next, idleSince + idleExitMillis + 1);
        return (int) Math.max(0, Math.min(60_000, next - now));
    }

    /** Notices dead daemons, resends, restarts and gives up, for every mount. */
    private void supervise(long now) {
        for (var it = held.values().iterator(); it.hasNext(); ) {
            HeldMount m = it.next();
            m.reapRetired();
            if (m.current != null && m.current.pidfd().exited()) {
                HeldMount.Daemon dead = m.current;
                m.current = null;
                m.unservedSince = now;
                m.resend("the daemon (" + dead.id() + ")");
                dead.close();
                if (!connectionAlive(m.master)) {
                    LOG.log(System.Logger.Level.INFO, "daemon of " + m.mount + " (" + dead.id() + ") exited and the "
                            + "FUSE connection has ended (unmounted); dropping it");
                    drop(m);
                    it.remove();
                    continue;
                }
                String how = Supervisor.exitOf(dead.process());
                if (restart) {
                    m.supervisor.died(dead.id().toString(), how, now - dead.startedMillis(), now);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "daemon of " + m.mount + " (" + dead.id() + ") " + how
                            + "; holding the connection for the next daemon (--no-restart)");
                }
            }
            Optional<ProcessIdentity.Pidfd> child = m.supervisor.child();
            if (child.isPresent() && child.get().exited()) {
                long lived = now - m.supervisor.childStarted();
                m.supervisor.died("pid " + child.get().process().pid(), m.supervisor.childExited(), lived, now);
            }
            if (m.current == null && restart) m.supervisor.startIfDue(m.command, now);
            // a retired daemon still alive may still serve (the one that took over died before telling it to stop)
            if (m.current == null && m.retired.isEmpty() && giveUpMillis > 0 && m.unservedSince >= 0
                    && now - m.unservedSince >= giveUpMillis) {
                LOG.log(System.Logger.Level.ERROR, "no daemon has served " + m.mount + " for " + giveUpMillis / 1000
                        + " s (see " + m.supervisor.log() + "); giving the connection up: readers now get ENOTCONN, "
                        + "and the next daemon must mount afresh (--replace)");
                drop(m);
                it.remove();
            }
        }
    }

    private static void drop(HeldMount m) {
        m.supervisor.stop(m.current == null ? null : m.current.id());
        m.closeAll();
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
                put(request, fds, peer);
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "GET" -> {
                String mount = request.field("mount");
                HeldMount h = held.get(mount);
                if (h != null && !connectionAlive(h.master)) {
                    LOG.log(System.Logger.Level.INFO, "the FUSE connection of " + mount + " was aborted; dropping it");
                    drop(held.remove(mount));
                    h = null;
                }
                if (h == null) {
                    c.send(KeeperProtocol.encode("NONE", Map.of()));
                } else {
                    int[] all = h.current == null ? new int[] {h.master} : concat(h.master, h.current.workers());
                    Map<String, String> out = new LinkedHashMap<>();
                    out.put("state", h.state);
                    out.put("pid", String.valueOf(h.recorded.pid()));
                    out.put("start", String.valueOf(h.recorded.startTime()));
                    out.put("argv", h.command.encodedCmdline());
                    out.put("cwd", h.command.encodedCwd());
                    out.put("serving", String.valueOf(h.current != null));
                    out.put("fds", String.valueOf(all.length));
                    c.send(KeeperProtocol.encode("OK", out), all);
                }
            }
            case "DROP" -> {
                HeldMount h = held.remove(request.field("mount"));
                if (h != null) {
                    drop(h);
                    LOG.log(System.Logger.Level.INFO, "let go of " + request.field("mount") + " (asked by pid " + peer.pid() + ")");
                }
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "LIST" -> {
                Map<String, String> out = new LinkedHashMap<>();
                int i = 0;
                for (var e : held.entrySet()) {
                    out.put("mount." + i++, e.getKey() + " pid=" + e.getValue().recorded.pid()
                            + (e.getValue().current == null ? " (not serving)" : ""));
                }
                c.send(KeeperProtocol.encode("OK", out));
            }
            case "HOLD" -> {
                hold(request, fds, peer);
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "FREE" -> {
                Libc.closeAll(fds);
                HeldMount h = daemonsMount(request, peer);
                Integer fd = h.kept.remove(keptName(request));
                if (fd != null) Libc.close(fd);
                c.send(KeeperProtocol.encode("OK", Map.of()));
            }
            case "KEPT" -> {
                // a page at a time: one message carries at most UnixSocket.MAX_FDS fds
                Libc.closeAll(fds);
                HeldMount h = held.get(request.field("mount"));
                int from = parseCount(request.fields().getOrDefault("from", "0"));
                Map<String, String> out = new LinkedHashMap<>();
                List<Integer> page = new ArrayList<>();
                if (h != null) {
                    for (var e : h.kept.entrySet().stream().skip(from).limit(UnixSocket.MAX_FDS).toList()) {
                        out.put("name." + page.size(), e.getKey());
                        page.add(e.getValue());
                    }
                    out.put("total", String.valueOf(h.kept.size()));
                }
                out.put("count", String.valueOf(page.size()));
                c.send(KeeperProtocol.encode("OK", out), page.stream().mapToInt(Integer::intValue).toArray());
            }
            default -> throw new ProtocolException("'" + request.verb() + "' is an answer, not a request");
        }
    }

    /**
     * Takes a daemon's fds after checking it is who it says: the peer's pid, that pid's start time
     * and its command line must all be what the message claims (so what a restart runs later is
     * what that process really ran). The previous daemon's worker fds stay open until it exits.
     */
    private void put(Message request, int[] fds, UnixSocket.Credentials peer) throws ProtocolException {
        String mount = request.field("mount");
        String state = request.field("state");
        int pid = parsePid(request.field("pid"));
        if (fds.length == 0) throw new ProtocolException("PUT for " + mount + " carries no fds");
        InitState init;
        try {
            init = InitState.fromBytes(Base64.getDecoder().decode(state));
        } catch (IOException | IllegalArgumentException e) {
            throw new ProtocolException("PUT for " + mount + " has an unreadable INIT state: " + e.getMessage());
        }
        if (peer.pid() != pid) {
            throw new ProtocolException("PUT for " + mount + " names pid " + pid + " but comes from pid " + peer.pid());
        }
        long start;
        DaemonCommand sent;
        try {
            start = Long.parseLong(request.field("start"));
            sent = DaemonCommand.decode(request.field("argv"), request.field("cwd"));
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("PUT for " + mount + " has a malformed start, argv or cwd: " + e.getMessage());
        }
        ProcessIdentity id = new ProcessIdentity(pid, start);
        Optional<ProcessIdentity.Pidfd> pidfd = id.open();
        if (pidfd.isEmpty()) {
            throw new ProtocolException("PUT for " + mount + ": pid " + pid + " did not start at tick " + start
                    + " (/proc/" + pid + "/stat says otherwise)");
        }
        DaemonCommand real;
        try {
            real = DaemonCommand.of(pid);
        } catch (IOException e) {
            pidfd.get().close();
            throw new ProtocolException("PUT for " + mount + ": cannot read the command line of pid " + pid + ": " + e.getMessage());
        }
        if (!Arrays.equals(real.cmdline(), sent.cmdline())) {
            pidfd.get().close();
            throw new ProtocolException("PUT for " + mount + ": its argv is not /proc/" + pid + "/cmdline");
        }
        if (!real.cwd().equals(sent.cwd())) {
            pidfd.get().close();
            throw new ProtocolException("PUT for " + mount + ": its cwd " + sent.cwd() + " is not /proc/" + pid + "/cwd ("
                    + real.cwd() + ")");
        }
        HeldMount h = held.computeIfAbsent(mount, k -> new HeldMount(k, new Supervisor(k, socketPath.toAbsolutePath().getParent())));
        boolean fresh = h.init == null;
        Process process = h.supervisor.processOf(id).map(p -> h.supervisor.adoptChild()).orElse(null);
        HeldMount.Daemon previous = h.current;
        if (previous != null) {
            if (previous.pidfd().exited()) {
                h.resend("the previous daemon (" + previous.id() + ")");
                previous.close();
            } else {
                h.retired.add(previous); // it may still hold requests it read: its fds stay until it exits
            }
        }
        // daemons two handovers back were never told to stop when the one between them died
        for (HeldMount.Daemon old : h.retired) {
            if (old != previous && !old.pidfd().exited()) old.pidfd().signal(Libc.SIGUSR1);
        }
        if (!fresh) Libc.close(h.master);
        h.master = fds[0];
        h.state = state;
        h.init = init;
        h.command = real;
        h.recorded = id;
        h.current = new HeldMount.Daemon(id, pidfd.get(), Arrays.copyOfRange(fds, 1, fds.length),
                System.currentTimeMillis() - uptimeOf(id), process);
        h.unservedSince = -1;
        h.supervisor.served();
        LOG.log(System.Logger.Level.INFO, "holding " + mount + " for " + id + " (" + fds.length + " fds)"
                + (previous != null && !previous.id().equals(id) ? "; previous daemon " + previous.id() : ""));
    }

    /**
     * Keeps one more fd with a mount's connection (a PSI trigger, its table), under a name; only for
     * the daemon serving it (or one still handing over), one fd per message, at most
     * {@link HeldMount#MAX_KEPT} per mount. A name held already is replaced.
     */
    private void hold(Message request, int[] fds, UnixSocket.Credentials peer) throws ProtocolException {
        String name = keptName(request);
        if (fds.length != 1) throw new ProtocolException("HOLD " + name + " carries " + fds.length + " fds, not one");
        HeldMount h = daemonsMount(request, peer);
        if (!h.kept.containsKey(name) && h.kept.size() >= HeldMount.MAX_KEPT) {
            throw new ProtocolException("HOLD " + name + " for " + h.mount + ": " + HeldMount.MAX_KEPT + " fds are kept for it already");
        }
        Integer old = h.kept.put(name, fds[0]);
        if (old != null) Libc.close(old);
    }

    private static String keptName(Message request) throws ProtocolException {
        String name = request.field("name");
        if (!name.matches("[a-z0-9-]{1,40}")) throw new ProtocolException("bad fd name '" + name + "' (a-z, 0-9, -; at most 40)");
        return name;
    }

    /** The mount a HOLD or FREE names, if the peer is its serving daemon or one still handing it over. */
    private HeldMount daemonsMount(Message request, UnixSocket.Credentials peer) throws ProtocolException {
        String mount = request.field("mount");
        HeldMount h = held.get(mount);
        if (h == null) throw new ProtocolException(request.verb() + " for " + mount + ", which is not held here");
        boolean ours = h.current != null && h.current.id().pid() == peer.pid()
                || h.retired.stream().anyMatch(d -> d.id().pid() == peer.pid());
        if (!ours) throw new ProtocolException(request.verb() + " for " + mount + " from pid " + peer.pid() + ", which does not serve it");
        return h;
    }

    private static int parseCount(String s) throws ProtocolException {
        try {
            int n = Integer.parseInt(s);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad count '" + s + "'");
        }
    }

    /** How long ago a process started (ms), from its start time in clock ticks (100 per second on Linux). */
    private static long uptimeOf(ProcessIdentity id) {
        try {
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Math.max(0, (long) (uptime * 1000) - id.startTime() * 10);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static int[] concat(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
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
    static boolean connectionAlive(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(8, 4);
            p.set(JAVA_INT, 0, fd);
            p.set(JAVA_SHORT, 4, Libc.POLLIN);
            int r = Libc.poll(p, 1, 0);
            return r >= 0 && (p.get(JAVA_SHORT, 6) & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) == 0;
        }
    }
}
