package org.jlxcfs.fuse;

import org.jlxcfs.sys.Syscall;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jlxcfs.sys.Syscall.address;
import static org.jlxcfs.sys.Syscall.call;

/**
 * The few system calls the FUSE protocol needs, through {@link Syscall} (one downcall for all). The hot-path calls
 * (read, write, poll) return a negative errno instead of throwing, so serving a request
 * allocates nothing; the setup calls throw {@link LibcException} naming the call and its argument.
 */
public final class Libc {
    private Libc() {}

    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3;
    public static final int O_TRUNC = 01000, O_NONBLOCK = 04000, O_CLOEXEC = 02000000;
    public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4;
    public static final int MNT_FORCE = 1, MNT_DETACH = 2;
    public static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public static final int EFD_NONBLOCK = O_NONBLOCK, EFD_CLOEXEC = O_CLOEXEC;
    public static final int F_OK = 0, R_OK = 4, W_OK = 2, X_OK = 1;
    /** _IOR(229, 0, uint32_t): joins a fresh /dev/fuse fd to the connection of an existing one. */
    public static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;

    /** A NUL-terminated copy of {@code s} in {@code a}, as a pointer argument. */
    private static long string(Arena a, String s) {
        return a.allocateFrom(s).address();
    }

    /** open(2); throws with the path on failure. */
    public static int open(String path, int flags) throws LibcException {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) call(Syscall.OPENAT, Syscall.AT_FDCWD, string(a, path), flags, 0);
            if (fd < 0) throw new LibcException("open", path, -fd);
            return fd;
        }
    }

    /** close(2); returns 0 or -errno (close errors are not actionable for us). */
    public static int close(int fd) {
        return (int) call(Syscall.CLOSE, fd);
    }

    /** Closes each fd (for descriptors received or held in bulk). */
    public static void closeAll(int... fds) {
        for (int fd : fds) close(fd);
    }

    /** read(2) into {@code buf}; returns the byte count or -errno. */
    public static long read(int fd, MemorySegment buf, long count) {
        return call(Syscall.READ, fd, address(buf, count), count);
    }

    /** write(2) from {@code buf}; returns the byte count or -errno. */
    public static long write(int fd, MemorySegment buf, long count) {
        return call(Syscall.WRITE, fd, address(buf, count), count);
    }

    /** Per thread: the timespec of {@link #poll}'s ppoll(2), so polling allocates nothing. */
    private static final ThreadLocal<MemorySegment> TIMEOUT = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    /**
     * poll(2) over an array of {@code struct pollfd} (8 bytes each); returns the ready count or -errno.
     * A negative timeout waits for ever. (ppoll: aarch64 has no poll.)
     */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) {
        long pfds = address(pollfds, 8L * count);
        if (timeoutMillis < 0) return (int) call(Syscall.PPOLL, pfds, count, 0, 0, 8, 0);
        MemorySegment ts = TIMEOUT.get();
        ts.set(ValueLayout.JAVA_LONG, 0, timeoutMillis / 1000);
        ts.set(ValueLayout.JAVA_LONG, 8, (timeoutMillis % 1000) * 1_000_000L);
        return (int) call(Syscall.PPOLL, pfds, count, ts.address(), 0, 8, 0);
    }

    public static final int EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLEXCLUSIVE = 1 << 28;
    /** {@code struct epoll_event} is packed on x86_64: u32 events, u64 data. */
    public static final int EPOLL_EVENT_SIZE = 12;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;

    /** epoll_create1(EPOLL_CLOEXEC); throws on failure. */
    public static int epollCreate() throws LibcException {
        int fd = (int) call(Syscall.EPOLL_CREATE1, O_CLOEXEC);
        if (fd < 0) throw new LibcException("epoll_create1", "", -fd);
        return fd;
    }

    /** epoll_ctl(EPOLL_CTL_ADD) of {@code fd} for {@code events}, tagged with {@code data}; returns 0 or -errno. */
    public static int epollAdd(int epfd, int fd, int events, long data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EPOLL_EVENT_SIZE, 8);
            ev.set(JAVA_INT, 0, events);
            ev.set(ValueLayout.JAVA_LONG_UNALIGNED, 4, data);
            return (int) call(Syscall.EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, ev.address());
        }
    }

    /** epoll_ctl(EPOLL_CTL_DEL) of {@code fd}; returns 0 or -errno. */
    public static int epollDel(int epfd, int fd) {
        return (int) call(Syscall.EPOLL_CTL, epfd, EPOLL_CTL_DEL, fd, 0);
    }

    /** epoll_wait(2) into {@code events} ({@link #EPOLL_EVENT_SIZE} bytes each); the ready count or -errno. */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        return (int) call(Syscall.EPOLL_PWAIT, epfd, address(events, (long) EPOLL_EVENT_SIZE * maxEvents), maxEvents,
                timeoutMillis, 0, 8);
    }

    /** Large enough a cpu_set_t for 8,192 CPUs (glibc's default covers only 1,024). */
    private static final int CPU_MASK_BYTES = 1024;

    /** The CPUs the calling thread may run on (sched_getaffinity), ascending. */
    public static int[] allowedCpus() throws LibcException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(CPU_MASK_BYTES, 8);
            // the raw call returns the mask's size in bytes: only what it wrote counts
            int r = (int) call(Syscall.SCHED_GETAFFINITY, 0, CPU_MASK_BYTES, mask.address());
            if (r < 0) throw new LibcException("sched_getaffinity", "", -r);
            int[] cpus = new int[r * 8];
            int n = 0;
            for (int cpu = 0; cpu < r * 8; cpu++) {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu >> 3) & (1 << (cpu & 7))) != 0) cpus[n++] = cpu;
            }
            return java.util.Arrays.copyOf(cpus, n);
        }
    }

    /** Restricts the calling thread to {@code cpus} (sched_setaffinity); returns 0 or -errno. */
    public static int pinCurrentThread(int[] cpus) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(CPU_MASK_BYTES, 8);
            for (int cpu : cpus) {
                if (cpu < 0 || cpu >= CPU_MASK_BYTES * 8) return -Errno.EINVAL;
                int at = cpu >> 3;
                mask.set(ValueLayout.JAVA_BYTE, at, (byte) (mask.get(ValueLayout.JAVA_BYTE, at) | (1 << (cpu & 7))));
            }
            int r = (int) call(Syscall.SCHED_SETAFFINITY, 0, CPU_MASK_BYTES, mask.address());
            return r < 0 ? r : 0;
        }
    }

    /** Opens a new /dev/fuse fd attached to the same connection as {@code masterFd}. */
    public static int cloneFuseFd(int masterFd, int extraFlags) throws LibcException {
        int clone = open("/dev/fuse", O_RDWR | O_CLOEXEC | extraFlags);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arg = a.allocate(JAVA_INT);
            arg.set(JAVA_INT, 0, masterFd);
            int r = (int) call(Syscall.IOCTL, clone, FUSE_DEV_IOC_CLONE, arg.address());
            if (r < 0) {
                close(clone);
                throw new LibcException("ioctl(FUSE_DEV_IOC_CLONE)", "fd " + masterFd, -r);
            }
            return clone;
        }
    }

    public static void mount(String source, String target, String fsType, long flags, String data)
            throws LibcException {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) call(Syscall.MOUNT, string(a, source), string(a, target), string(a, fsType), flags, string(a, data), 0);
            if (r < 0) throw new LibcException("mount", target, -r);
        }
    }

    /** umount2(2); returns 0 or -errno. */
    public static int umount2(String target, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(Syscall.UMOUNT2, string(a, target), flags);
        }
    }

    /**
     * statfs(2), for its result only: 0 or -errno. On a FUSE mount it always asks the server (nothing
     * is cached), so ENOTCONN tells a dead mount from a live one.
     */
    public static int statfs(String path) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) call(Syscall.STATFS, string(a, path), a.allocate(256, 8).address());
            return r < 0 ? r : 0;
        }
    }

    public static int eventfd(int initial, int flags) throws LibcException {
        int fd = (int) call(Syscall.EVENTFD2, initial, flags);
        if (fd < 0) throw new LibcException("eventfd", "", -fd);
        return fd;
    }

    /** Adds 1 to an eventfd's counter, which makes it readable for every poller. */
    public static void signalEventfd(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            write(fd, one, 8);
        }
    }

    public static final int SIGUSR1 = 10, SIGTERM = 15, SIGKILL = 9;

    /** An anonymous in-memory file holding {@code bytes} (for systemd's fd store, which keeps only fds). */
    public static int memfd(String name, byte[] bytes) throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) call(Syscall.MEMFD_CREATE, string(a, name), 0);
        }
        if (fd < 0) throw new LibcException("memfd_create", name, -fd);
        java.nio.file.Files.write(java.nio.file.Path.of("/proc/self/fd/" + fd), bytes);
        return fd;
    }

    /** kill(2); returns 0 or -errno. */
    public static int kill(int pid, int signal) {
        return (int) call(Syscall.KILL, pid, signal);
    }

    /**
     * pidfd_open(2): an fd that refers to the process {@code pid} names now, and that becomes
     * readable (POLLIN) when it exits; returns the fd (close-on-exec) or -errno. Whoever opens one
     * must still check it is the process they mean (pid numbers are reused).
     */
    public static int pidfdOpen(int pid) {
        return (int) call(Syscall.PIDFD_OPEN, pid, 0);
    }

    /** pidfd_send_signal(2): signals exactly the process the pidfd refers to; 0 or -errno (ESRCH once it exited). */
    public static int pidfdSendSignal(int pidfd, int signal) {
        int r = (int) call(Syscall.PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0);
        return r < 0 ? r : 0;
    }

    /** True once the process behind {@code pidfd} has exited (its pidfd polls readable). */
    public static boolean pidfdExited(int pidfd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(8, 4);
            p.set(JAVA_INT, 0, pidfd);
            p.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            return poll(p, 1, 0) > 0;
        }
    }

    public static int getuid() {
        return (int) call(Syscall.GETUID, 0);
    }

    public static int getgid() {
        return (int) call(Syscall.GETGID, 0);
    }
}
