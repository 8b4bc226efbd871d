package org.jlxcfs.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.io.IOException;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few libc calls the FUSE protocol needs, through the FFM API. The hot-path calls
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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle POLL = downcall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EPOLL_CREATE1 = downcall("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = downcall("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = downcall("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SCHED_GETAFFINITY = downcall("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SCHED_SETAFFINITY = downcall("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle IOCTL = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    /** syscall(2) with two and four arguments, for calls glibc has no wrapper for (pidfd_open, pidfd_send_signal). */
    private static final MethodHandle SYSCALL2 = downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle GETUID = LINKER.downcallHandle(
            LIBC.find("getuid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = LINKER.downcallHandle(
            LIBC.find("getgid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));

    /*
     * Calls a daemon that takes a connection over never makes before it serves, linked at their
     * first use: every distinct downcall shape costs the FFM linker generated classes, which a
     * restarted daemon's readers would wait for (the AOT cache cannot hold them).
     */
    private static final class MountCalls {
        private static final MethodHandle MOUNT = downcall("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        private static final MethodHandle UMOUNT2 = downcall("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        private static final MethodHandle MEMFD_CREATE = downcall("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class StatfsCall {
        private static final MethodHandle STATFS = downcall("statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class SignalCalls {
        private static final MethodHandle KILL = downcall("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        private static final MethodHandle SYSCALL4 = downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /** One errno capture segment per thread, so the hot path allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, options, 1, more.length);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, options);
    }

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** open(2); throws with the path on failure. */
    public static int open(String path, int flags) throws LibcException {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(cs, a.allocateFrom(path), flags, 0);
            if (fd < 0) throw new LibcException("open", path, errno(cs));
            return fd;
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** close(2); returns 0 or -errno (close errors are not actionable for us). */
    public static int close(int fd) {
        MemorySegment cs = CAPTURE.get();
        try {
            int r = (int) CLOSE.invokeExact(cs, fd);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Closes each fd (for descriptors received or held in bulk). */
    public static void closeAll(int... fds) {
        for (int fd : fds) close(fd);
    }

    /** read(2) into {@code buf}; returns the byte count or -errno. */
    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment cs = CAPTURE.get();
        try {
            long r = (long) READ.invokeExact(cs, fd, buf, count);
            return r < 0 ? -errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) from {@code buf}; returns the byte count or -errno. */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment cs = CAPTURE.get();
        try {
            long r = (long) WRITE.invokeExact(cs, fd, buf, count);
            return r < 0 ? -errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over an array of {@code struct pollfd} (8 bytes each); returns the ready count or -errno. */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) {
        MemorySegment cs = CAPTURE.get();
        try {
            int r = (int) POLL.invokeExact(cs, pollfds, (long) count, timeoutMillis);
            return r < 0 ? -errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLEXCLUSIVE = 1 << 28;
    /** {@code struct epoll_event} is packed on x86_64: u32 events, u64 data. */
    public static final int EPOLL_EVENT_SIZE = 12;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;

    /** epoll_create1(EPOLL_CLOEXEC); throws on failure. */
    public static int epollCreate() throws LibcException {
        MemorySegment cs = CAPTURE.get();
        try {
            int fd = (int) EPOLL_CREATE1.invokeExact(cs, O_CLOEXEC);
            if (fd < 0) throw new LibcException("epoll_create1", "", errno(cs));
            return fd;
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_ctl(EPOLL_CTL_ADD) of {@code fd} for {@code events}, tagged with {@code data}; returns 0 or -errno. */
    public static int epollAdd(int epfd, int fd, int events, long data) {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EPOLL_EVENT_SIZE, 8);
            ev.set(JAVA_INT, 0, events);
            ev.set(ValueLayout.JAVA_LONG_UNALIGNED, 4, data);
            int r = (int) EPOLL_CTL.invokeExact(cs, epfd, EPOLL_CTL_ADD, fd, ev);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_ctl(EPOLL_CTL_DEL) of {@code fd}; returns 0 or -errno. */
    public static int epollDel(int epfd, int fd) {
        MemorySegment cs = CAPTURE.get();
        try {
            int r = (int) EPOLL_CTL.invokeExact(cs, epfd, EPOLL_CTL_DEL, fd, MemorySegment.NULL);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_wait(2) into {@code events} ({@link #EPOLL_EVENT_SIZE} bytes each); the ready count or -errno. */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        MemorySegment cs = CAPTURE.get();
        try {
            int r = (int) EPOLL_WAIT.invokeExact(cs, epfd, events, maxEvents, timeoutMillis);
            return r < 0 ? -errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Large enough a cpu_set_t for 8,192 CPUs (glibc's default covers only 1,024). */
    private static final int CPU_MASK_BYTES = 1024;

    /** The CPUs the calling thread may run on (sched_getaffinity), ascending. */
    public static int[] allowedCpus() throws LibcException {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(CPU_MASK_BYTES, 8);
            int r = (int) SCHED_GETAFFINITY.invokeExact(cs, 0, (long) CPU_MASK_BYTES, mask);
            if (r < 0) throw new LibcException("sched_getaffinity", "", errno(cs));
            int[] cpus = new int[CPU_MASK_BYTES * 8];
            int n = 0;
            for (int cpu = 0; cpu < CPU_MASK_BYTES * 8; cpu++) {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu >> 3) & (1 << (cpu & 7))) != 0) cpus[n++] = cpu;
            }
            return java.util.Arrays.copyOf(cpus, n);
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Restricts the calling thread to {@code cpus} (sched_setaffinity); returns 0 or -errno. */
    public static int pinCurrentThread(int[] cpus) {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(CPU_MASK_BYTES, 8);
            for (int cpu : cpus) {
                if (cpu < 0 || cpu >= CPU_MASK_BYTES * 8) return -Errno.EINVAL;
                int at = cpu >> 3;
                mask.set(ValueLayout.JAVA_BYTE, at, (byte) (mask.get(ValueLayout.JAVA_BYTE, at) | (1 << (cpu & 7))));
            }
            int r = (int) SCHED_SETAFFINITY.invokeExact(cs, 0, (long) CPU_MASK_BYTES, mask);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Opens a new /dev/fuse fd attached to the same connection as {@code masterFd}. */
    public static int cloneFuseFd(int masterFd, int extraFlags) throws LibcException {
        int clone = open("/dev/fuse", O_RDWR | O_CLOEXEC | extraFlags);
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arg = a.allocate(JAVA_INT);
            arg.set(JAVA_INT, 0, masterFd);
            int r = (int) IOCTL.invokeExact(cs, clone, FUSE_DEV_IOC_CLONE, arg);
            if (r < 0) {
                int e = errno(cs);
                close(clone);
                throw new LibcException("ioctl(FUSE_DEV_IOC_CLONE)", "fd " + masterFd, e);
            }
            return clone;
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void mount(String source, String target, String fsType, long flags, String data)
            throws LibcException {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            int r = (int) MountCalls.MOUNT.invokeExact(cs, a.allocateFrom(source), a.allocateFrom(target),
                    a.allocateFrom(fsType), flags, a.allocateFrom(data));
            if (r < 0) throw new LibcException("mount", target, errno(cs));
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** umount2(2); returns 0 or -errno. */
    public static int umount2(String target, int flags) {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            int r = (int) MountCalls.UMOUNT2.invokeExact(cs, a.allocateFrom(target), flags);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * statfs(2), for its result only: 0 or -errno. On a FUSE mount it always asks the server (nothing
     * is cached), so ENOTCONN tells a dead mount from a live one.
     */
    public static int statfs(String path) {
        MemorySegment cs = CAPTURE.get();
        try (Arena a = Arena.ofConfined()) {
            int r = (int) StatfsCall.STATFS.invokeExact(cs, a.allocateFrom(path), a.allocate(256, 8));
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(int initial, int flags) throws LibcException {
        MemorySegment cs = CAPTURE.get();
        try {
            int fd = (int) EVENTFD.invokeExact(cs, initial, flags);
            if (fd < 0) throw new LibcException("eventfd", "", errno(cs));
            return fd;
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
        MemorySegment cs = CAPTURE.get();
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) MountCalls.MEMFD_CREATE.invokeExact(cs, a.allocateFrom(name), 0);
            if (fd < 0) throw new LibcException("memfd_create", name, errno(cs));
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
        java.nio.file.Files.write(java.nio.file.Path.of("/proc/self/fd/" + fd), bytes);
        return fd;
    }

    /** kill(2); returns 0 or -errno. */
    public static int kill(int pid, int signal) {
        MemorySegment cs = CAPTURE.get();
        try {
            int r = (int) SignalCalls.KILL.invokeExact(cs, pid, signal);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final long SYS_PIDFD_SEND_SIGNAL = 424, SYS_PIDFD_OPEN = 434;

    /**
     * pidfd_open(2): an fd that refers to the process {@code pid} names now, and that becomes
     * readable (POLLIN) when it exits; returns the fd (close-on-exec) or -errno. Whoever opens one
     * must still check it is the process they mean (pid numbers are reused).
     */
    public static int pidfdOpen(int pid) {
        MemorySegment cs = CAPTURE.get();
        try {
            long r = (long) SYSCALL2.invokeExact(cs, SYS_PIDFD_OPEN, (long) pid, 0L);
            return r < 0 ? -errno(cs) : (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pidfd_send_signal(2): signals exactly the process the pidfd refers to; 0 or -errno (ESRCH once it exited). */
    public static int pidfdSendSignal(int pidfd, int signal) {
        MemorySegment cs = CAPTURE.get();
        try {
            long r = (long) SignalCalls.SYSCALL4.invokeExact(cs, SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) signal, 0L, 0L);
            return r < 0 ? -errno(cs) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getgid() {
        try {
            return (int) GETGID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
