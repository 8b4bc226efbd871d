package org.jlxcfs.fuse;

import org.jlxcfs.sys.Syscall;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.jlxcfs.sys.Syscall.call;

/**
 * AF_UNIX sockets that carry file descriptors (SCM_RIGHTS) and tell who is on the other end
 * (SO_PEERCRED): what the keeper and systemd's fd store need, and what java.nio cannot do.
 * Stream-like connections use SOCK_SEQPACKET, so every message arrives whole.
 */
public final class UnixSocket implements AutoCloseable {
    private static final int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1, SO_PEERCRED = 17, SO_RCVTIMEO = 20, SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000, MSG_NOSIGNAL = 0x4000;
    private static final int SOCKADDR_UN = 110, MSGHDR = 56, CMSG_HEADER = 16;
    /** Largest message the keeper protocol uses; larger ones are refused by the peer. */
    public static final int MAX_MESSAGE = 64 * 1024;
    public static final int MAX_FDS = 64;

    /** Who is connected: from SO_PEERCRED, as the kernel saw them when they connected. */
    public record Credentials(int pid, int uid, int gid) {}

    /** A message: its bytes and the file descriptors that came with it (now ours to close). */
    public record Message(byte[] data, int[] fds) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final int fd;
    private final String name;

    private UnixSocket(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    public int fd() {
        return fd;
    }

    private static MemorySegment address(Arena a, String path) throws IOException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= SOCKADDR_UN - 2) throw new IOException("unix socket path too long: " + path);
        MemorySegment sa = a.allocate(SOCKADDR_UN, 8);
        sa.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(p, 0, sa, JAVA_BYTE, 2, p.length);
        // "@name" is Linux's abstract namespace (systemd uses it for NOTIFY_SOCKET): a leading NUL
        if (p.length > 0 && p[0] == '@') sa.set(JAVA_BYTE, 2, (byte) 0);
        return sa;
    }

    private static int addressLength(String path) {
        int n = path.getBytes(StandardCharsets.UTF_8).length;
        return path.startsWith("@") ? 2 + n : 2 + n + 1;
    }

    private static int socket(int type) throws IOException {
        int s = (int) call(Syscall.SOCKET, AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (s < 0) throw new LibcException("socket(AF_UNIX)", "", -s);
        return s;
    }

    /** A listening SOCK_SEQPACKET socket at {@code path} (the caller sets the file's mode). */
    public static UnixSocket listen(Path path) throws IOException {
        return open(path, true);
    }

    public static UnixSocket connect(Path path) throws IOException {
        return open(path, false);
    }

    private static UnixSocket open(Path path, boolean listen) throws IOException {
        int s = socket(SOCK_SEQPACKET);
        String name = path.toString();
        try (Arena a = Arena.ofConfined()) {
            int r = (int) call(listen ? Syscall.BIND : Syscall.CONNECT, s, address(a, name).address(), addressLength(name));
            if (r < 0) throw new LibcException(listen ? "bind" : "connect", name, -r);
            if (listen && (r = (int) call(Syscall.LISTEN, s, 16)) < 0) throw new LibcException("listen", name, -r);
            return new UnixSocket(s, name);
        } catch (IOException | RuntimeException e) {
            Libc.close(s);
            throw e;
        }
    }

    /** Waits for a connection. */
    public UnixSocket accept() throws IOException {
        while (true) {
            int c = (int) call(Syscall.ACCEPT4, fd, 0, 0, SOCK_CLOEXEC);
            if (c >= 0) return new UnixSocket(c, name);
            if (c != -Errno.EINTR) throw new LibcException("accept", name, -c);
        }
    }

    public Credentials peer() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cred = a.allocate(12, 4);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 12);
            int r = (int) call(Syscall.GETSOCKOPT, fd, SOL_SOCKET, SO_PEERCRED, cred.address(), len.address(), 0);
            if (r < 0) throw new LibcException("getsockopt(SO_PEERCRED)", name, -r);
            return new Credentials(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        }
    }

    /** A receive that waits longer than this fails with EAGAIN: a silent peer cannot hold us. */
    public void receiveTimeout(long millis) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(16, 8);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            int r = (int) call(Syscall.SETSOCKOPT, fd, SOL_SOCKET, SO_RCVTIMEO, tv.address(), 16, 0);
            if (r < 0) throw new LibcException("setsockopt(SO_RCVTIMEO)", name, -r);
        }
    }

    public void send(byte[] data, int... fds) throws IOException {
        sendTo(fd, null, name, data, fds);
    }

    /** One datagram to {@code target} (a path or "@abstract"), e.g. sd_notify's FDSTORE=1. */
    public static void sendDatagram(String target, byte[] data, int... fds) throws IOException {
        int s = socket(SOCK_DGRAM);
        try {
            sendTo(s, target, target, data, fds);
        } finally {
            Libc.close(s);
        }
    }

    private static void sendTo(int s, String target, String name, byte[] data, int[] fds) throws IOException {
        if (fds.length > MAX_FDS) throw new IOException("too many fds for one message: " + fds.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(MSGHDR, 8);
            if (target != null) {
                msg.set(ADDRESS, 0, address(a, target));
                msg.set(JAVA_INT, 8, addressLength(target));
            }
            MemorySegment buf = a.allocate(Math.max(data.length, 1));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, data.length);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            if (fds.length > 0) {
                int space = CMSG_HEADER + ((fds.length * 4 + 7) & ~7);
                MemorySegment control = a.allocate(space, 8);
                control.set(JAVA_LONG, 0, CMSG_HEADER + fds.length * 4L);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) control.set(JAVA_INT, CMSG_HEADER + 4L * i, fds[i]);
                msg.set(ADDRESS, 32, control);
                msg.set(JAVA_LONG, 40, space);
            }
            long r = call(Syscall.SENDMSG, s, msg.address(), MSG_NOSIGNAL);
            if (r < 0) throw new LibcException("sendmsg", name, (int) -r);
            if (r != data.length) throw new IOException("sendmsg to " + name + " sent " + r + " of " + data.length + " bytes");
        }
    }

    /**
     * Receives one message. An empty message means the peer closed the connection. A message
     * larger than {@link #MAX_MESSAGE} or with more than {@link #MAX_FDS} fds is refused (its fds
     * are closed), so a hostile peer cannot make us keep descriptors we did not ask for.
     */
    public Message receive() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(MSGHDR, 8);
            MemorySegment buf = a.allocate(MAX_MESSAGE + 1);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, MAX_MESSAGE + 1);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            int space = CMSG_HEADER + MAX_FDS * 4;
            MemorySegment control = a.allocate(space, 8);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, space);
            long r;
            do {
                r = call(Syscall.RECVMSG, fd, msg.address(), MSG_CMSG_CLOEXEC);
            } while (r == -Errno.EINTR);
            if (r < 0) throw new LibcException("recvmsg", name, (int) -r);
            int[] fds = new int[0];
            long controlLen = msg.get(JAVA_LONG, 40);
            if (controlLen >= CMSG_HEADER && control.get(JAVA_INT, 8) == SOL_SOCKET && control.get(JAVA_INT, 12) == SCM_RIGHTS) {
                int n = (int) ((control.get(JAVA_LONG, 0) - CMSG_HEADER) / 4);
                fds = new int[n];
                for (int i = 0; i < n; i++) fds[i] = control.get(JAVA_INT, CMSG_HEADER + 4L * i);
            }
            int flags = msg.get(JAVA_INT, 48);
            if (r > MAX_MESSAGE || (flags & 0x8 /* MSG_CTRUNC */) != 0) {
                for (int f : fds) Libc.close(f);
                throw new IOException("message on " + name + " is larger than " + MAX_MESSAGE
                        + " bytes or carries more than " + MAX_FDS + " fds; refused");
            }
            return new Message(buf.asSlice(0, r).toArray(JAVA_BYTE), fds);
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
