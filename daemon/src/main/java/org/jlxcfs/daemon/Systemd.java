package org.jlxcfs.daemon;

import org.jlxcfs.daemon.psi.TriggerStore;
import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.UnixSocket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * systemd as the keeper: the sd_notify protocol (a datagram to $NOTIFY_SOCKET) stores the
 * connection's fds in the unit's fd store (FDSTORE=1, named) and systemd hands them to the next
 * process of the unit ($LISTEN_FDS from fd 3, $LISTEN_FDNAMES). The fd store keeps fds only, so
 * the INIT state travels in a memfd.
 */
final class Systemd {
    static final String MASTER = "jlxcfs-master", WORKER = "jlxcfs-worker", STATE = "jlxcfs-state";

    private final String socket;

    private Systemd(String socket) {
        this.socket = socket;
    }

    /** Present when the daemon runs as a systemd notify service. */
    static Optional<Systemd> fromEnvironment() {
        String s = System.getenv("NOTIFY_SOCKET");
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(new Systemd(s));
    }

    void notify(String text, int... fds) throws IOException {
        UnixSocket.sendDatagram(socket, text.getBytes(StandardCharsets.UTF_8), fds);
    }

    /** The stored connection passed to this process, if any: fds by name (ours to close). */
    static Map<String, List<Integer>> passedFds() {
        Map<String, List<Integer>> byName = new LinkedHashMap<>();
        String pid = System.getenv("LISTEN_PID"), count = System.getenv("LISTEN_FDS");
        if (pid == null || count == null || !pid.equals(String.valueOf(ProcessHandle.current().pid()))) return byName;
        if (!count.matches("[0-9]{1,4}")) {
            System.getLogger("jlxcfs").log(System.Logger.Level.WARNING, "ignoring LISTEN_FDS='" + count + "': not a count of fds");
            return byName;
        }
        String[] names = Optional.ofNullable(System.getenv("LISTEN_FDNAMES")).orElse("").split(":");
        int n = Integer.parseInt(count);
        for (int i = 0; i < n; i++) {
            byName.computeIfAbsent(i < names.length ? names[i] : "unknown", k -> new ArrayList<>()).add(3 + i);
        }
        return byName;
    }

    static InitState readState(int memfd) throws IOException {
        return InitState.fromBytes(Files.readAllBytes(Path.of("/proc/self/fd/" + memfd)));
    }

    /**
     * Replaces what the fd store holds with this session's fds (the previous process's are
     * dropped: systemd would otherwise keep every generation).
     */
    void store(InitState state, int master, int[] workers) throws IOException {
        for (String name : new String[] {MASTER, WORKER, STATE}) notify("FDSTOREREMOVE=1\nFDNAME=" + name);
        notify("FDSTORE=1\nFDNAME=" + MASTER, master);
        if (workers.length > 0) notify("FDSTORE=1\nFDNAME=" + WORKER, workers);
        int memfd = Libc.memfd(STATE, state.toBytes());
        try {
            notify("FDSTORE=1\nFDNAME=" + STATE, memfd);
        } finally {
            Libc.close(memfd);
        }
    }

    /**
     * The fd store as the place PSI triggers are kept ({@code FDSTORE=1} under their names,
     * {@code FDSTOREREMOVE=1} at release); {@code passed}: what systemd handed this process.
     */
    TriggerStore triggerStore(Map<String, Integer> passed) {
        return new TriggerStore() {
            @Override
            public void hold(String name, int fd) throws IOException {
                // the store keeps every fd sent under a name: the table is replaced, not added
                if (name.equals(TABLE)) Systemd.this.notify("FDSTOREREMOVE=1\nFDNAME=" + name);
                Systemd.this.notify("FDSTORE=1\nFDNAME=" + name, fd);
            }

            @Override
            public void free(String name) throws IOException {
                Systemd.this.notify("FDSTOREREMOVE=1\nFDNAME=" + name);
            }

            @Override
            public Map<String, Integer> held() {
                // systemd passes the store to a process once, at its start
                Map<String, Integer> once = new LinkedHashMap<>(passed);
                passed.clear();
                return once;
            }
        };
    }

    /** READY=1: sent once the workers serve and SIGTERM means "hand over", not before. */
    void ready() throws IOException {
        notify("READY=1\nSTATUS=serving");
    }
}
