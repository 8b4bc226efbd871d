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

    /** What the keeper holds for a mount: its fds (master first; now ours to close), INIT state, last daemon. */
    public record Session(int[] fds, InitState state, int pid) {
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
            return Optional.of(new Session(raw[0].fds(), state, Integer.parseInt(m.field("pid"))));
        } catch (ProtocolException | IllegalArgumentException e) {
            Libc.closeAll(raw[0].fds());
            throw new IOException("keeper at " + socket + " answered GET badly: " + e.getMessage());
        }
    }

    public void put(Path mount, InitState state, int pid, int... fds) throws IOException {
        call("PUT", Map.of("mount", key(mount), "state", Base64.getEncoder().encodeToString(state.toBytes()),
                "pid", String.valueOf(pid)), null, fds);
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
