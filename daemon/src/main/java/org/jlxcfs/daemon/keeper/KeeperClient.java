package org.jlxcfs.daemon.keeper;

import org.jlxcfs.fuse.InitState;
import org.jlxcfs.fuse.LibcException;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.UnixSocket;
import org.jlxcfs.daemon.keeper.KeeperProtocol.Message;
import org.jlxcfs.daemon.keeper.KeeperProtocol.ProtocolException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** The daemon's side of the keeper: one connection per request. */
public final class KeeperClient {
    private final Path socket;

    public KeeperClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /**
     * What the keeper holds for a mount: its fds (master first; now ours to close), INIT state, the
     * daemon it recorded last (verified at its PUT) and how that daemon was started. The command is
     * null when an older keeper, which records none, answered.
     */
    public record Session(int[] fds, InitState state, ProcessIdentity daemon, DaemonCommand command) {
        public int pid() {
            return daemon.pid();
        }

        public int masterFd() {
            return fds[0];
        }

        public void closeAll() {
            Libc.closeAll(fds);
        }
    }

    /** True when a keeper answers on the socket. */
    public boolean available() {
        try {
            return call("PING", Map.of()).verb().equals("OK");
        } catch (IOException e) {
            return false;
        }
    }

    public Optional<Session> get(Path mount) throws IOException {
        UnixSocket.Message[] raw = new UnixSocket.Message[1];
        Message m = call("GET", Map.of("mount", key(mount)), raw);
        if (m.verb().equals("NONE")) {
            Libc.closeAll(raw[0].fds());
            return Optional.empty();
        }
        try {
            InitState state = InitState.fromBytes(Base64.getDecoder().decode(m.field("state")));
            if (raw[0].fds().length == 0) throw new ProtocolException("GET answer without fds");
            int pid = Integer.parseInt(m.field("pid"));
            String start = m.fields().get("start"), argv = m.fields().get("argv"), cwd = m.fields().get("cwd");
            // an older keeper records no start time: such a pid cannot be told from its reuse, so it counts as gone
            ProcessIdentity daemon = new ProcessIdentity(pid, start == null ? -1 : Long.parseLong(start));
            DaemonCommand command = argv == null || cwd == null ? null : DaemonCommand.decode(argv, cwd);
            return Optional.of(new Session(raw[0].fds(), state, daemon, command));
        } catch (ProtocolException | IllegalArgumentException e) {
            Libc.closeAll(raw[0].fds());
            throw new IOException("keeper at " + socket + " answered GET badly: " + e.getMessage());
        }
    }

    /** Hands the keeper this process's fds for {@code mount}, with who we are (which it checks). */
    public void put(Path mount, InitState state, int... fds) throws IOException {
        put(mount, state, ProcessIdentity.self(), DaemonCommand.self(), fds);
    }

    /** PUT with explicit claims (tests use it to check the keeper refuses false ones). */
    public void put(Path mount, InitState state, ProcessIdentity self, DaemonCommand command, int... fds) throws IOException {
        call("PUT", Map.of("mount", key(mount), "state", Base64.getEncoder().encodeToString(state.toBytes()),
                "pid", String.valueOf(self.pid()), "start", String.valueOf(self.startTime()),
                "argv", command.encodedCmdline(), "cwd", command.encodedCwd()), null, fds);
    }

    /** Whether the keeper holds a connection for {@code mount} (LIST: no fds change hands). */
    public boolean holds(Path mount) throws IOException {
        String prefix = key(mount) + " pid=";
        return call("LIST", Map.of()).fields().values().stream().anyMatch(v -> v.startsWith(prefix));
    }

    /** Keeps {@code fd} with the connection of {@code mount} under {@code name} (an older keeper refuses: IOException). */
    public void hold(Path mount, String name, int fd) throws IOException {
        call("HOLD", Map.of("mount", key(mount), "name", name), null, fd);
    }

    public void free(Path mount, String name) throws IOException {
        call("FREE", Map.of("mount", key(mount), "name", name));
    }

    /** Copies of every fd kept with the connection of {@code mount}, by name (ours to close); paged. */
    public Map<String, Integer> kept(Path mount) throws IOException {
        Map<String, Integer> all = new java.util.LinkedHashMap<>();
        try {
            while (true) {
                UnixSocket.Message[] raw = new UnixSocket.Message[1];
                Message m = call("KEPT", Map.of("mount", key(mount), "from", String.valueOf(all.size())), raw);
                int[] fds = raw[0].fds();
                int count;
                try {
                    count = Integer.parseInt(m.field("count"));
                    if (count != fds.length) throw new NumberFormatException();
                } catch (ProtocolException | NumberFormatException e) {
                    Libc.closeAll(fds);
                    throw new IOException("keeper at " + socket + " answered KEPT with a wrong count");
                }
                for (int i = 0; i < count; i++) {
                    Integer dup = all.put(m.fields().getOrDefault("name." + i, "unnamed-" + all.size()), fds[i]);
                    if (dup != null) Libc.close(dup);
                }
                if (count == 0 || all.size() >= Integer.parseInt(m.fields().getOrDefault("total", "0"))) return all;
            }
        } catch (IOException | RuntimeException e) {
            all.values().forEach(Libc::close);
            throw e;
        }
    }

    /** The keeper as the place PSI triggers are kept with the connection of {@code mount}. */
    public org.jlxcfs.daemon.psi.TriggerStore triggerStore(Path mount) {
        return new org.jlxcfs.daemon.psi.TriggerStore() {
            @Override
            public void hold(String name, int fd) throws IOException {
                KeeperClient.this.hold(mount, name, fd);
            }

            @Override
            public void free(String name) throws IOException {
                KeeperClient.this.free(mount, name);
            }

            @Override
            public Map<String, Integer> held() throws IOException {
                return kept(mount);
            }
        };
    }

    public void drop(Path mount) throws IOException {
        call("DROP", Map.of("mount", key(mount)));
    }

    private static String key(Path mount) {
        return mount.toAbsolutePath().normalize().toString();
    }

    private Message call(String verb, Map<String, String> fields) throws IOException {
        return call(verb, fields, null);
    }

    private Message call(String verb, Map<String, String> fields, UnixSocket.Message[] raw, int... fds) throws IOException {
        try (UnixSocket s = UnixSocket.connect(socket)) {
            s.receiveTimeout(10_000);
            s.send(KeeperProtocol.encode(verb, fields), fds);
            UnixSocket.Message answer = s.receive();
            if (raw != null) raw[0] = answer;
            if (answer.data().length == 0) {
                throw new IOException("keeper at " + socket + " closed the connection without answering " + verb
                        + " (only root may use it)");
            }
            Message m = KeeperProtocol.decode(answer.data());
            if (m.verb().equals("ERR")) {
                Libc.closeAll(answer.fds());
                throw new IOException("keeper at " + socket + " refused " + verb + ": " + m.fields().get("reason"));
            }
            return m;
        } catch (ProtocolException e) {
            throw new IOException("keeper at " + socket + " answered " + verb + " badly: " + e.getMessage());
        } catch (LibcException e) {
            if (e.errno() == Errno.EAGAIN) throw new IOException("keeper at " + socket + " did not answer " + verb + " within 10 s");
            throw e;
        }
    }
}
