package org.jlxcfs.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Every system call jlxcfs makes, through one downcall: glibc's {@code syscall(2)} with six
 * arguments. The FFM linker generates about twenty classes for each distinct downcall shape at
 * every start (the AOT cache cannot hold them), and a restarted daemon's readers wait for them:
 * one shape costs that once. Pointers are passed as addresses of native segments, which the
 * caller keeps alive for the call. Returns the result or {@code -errno}, never throws.
 */
public final class Syscall {
    static {
        Linked.started = true; // first of this class's initialisers (see Linked)
    }

    private Syscall() {}

    private static final String ARCH = System.getProperty("os.arch");
    private static final boolean ARM64 = ARCH.equals("aarch64");

    static {
        if (!ARM64 && !ARCH.equals("amd64") && !ARCH.equals("x86_64")) {
            throw new ExceptionInInitializerError("jlxcfs runs on x86_64 and aarch64 Linux, not on " + ARCH);
        }
    }

    // x86_64 numbers, then aarch64's (asm-generic): only calls both have (openat, ppoll, epoll_pwait, ...)
    public static final long READ = ARM64 ? 63 : 0, WRITE = ARM64 ? 64 : 1, CLOSE = ARM64 ? 57 : 3,
            OPENAT = ARM64 ? 56 : 257, READLINKAT = ARM64 ? 78 : 267, IOCTL = ARM64 ? 29 : 16,
            PPOLL = ARM64 ? 73 : 271, EPOLL_CREATE1 = ARM64 ? 20 : 291, EPOLL_CTL = ARM64 ? 21 : 233,
            EPOLL_PWAIT = ARM64 ? 22 : 281, EVENTFD2 = ARM64 ? 19 : 290,
            SCHED_SETAFFINITY = ARM64 ? 122 : 203, SCHED_GETAFFINITY = ARM64 ? 123 : 204,
            GETUID = ARM64 ? 174 : 102, GETGID = ARM64 ? 176 : 104, KILL = ARM64 ? 129 : 62,
            MOUNT = ARM64 ? 40 : 165, UMOUNT2 = ARM64 ? 39 : 166, STATFS = ARM64 ? 43 : 137,
            MEMFD_CREATE = ARM64 ? 279 : 319, PIDFD_SEND_SIGNAL = 424, PIDFD_OPEN = 434,
            SOCKET = ARM64 ? 198 : 41, BIND = ARM64 ? 200 : 49, LISTEN = ARM64 ? 201 : 50,
            CONNECT = ARM64 ? 203 : 42, ACCEPT4 = ARM64 ? 242 : 288, SENDMSG = ARM64 ? 211 : 46,
            RECVMSG = ARM64 ? 212 : 47, SETSOCKOPT = ARM64 ? 208 : 54, GETSOCKOPT = ARM64 ? 209 : 55;

    /** The "current directory" fd of the *at calls. */
    public static final long AT_FDCWD = -100;

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL;

    static {
        Linker linker = Linker.nativeLinker();
        SYSCALL = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    }

    /** One errno capture segment per thread, so the hot path allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    static {
        Linked.done = true;
    }

    /**
     * Whether another thread is linking the downcall now, asked without waiting for it: that takes
     * a starting daemon 40-70 ms (on a thread of its own, NativeWarmup), and code with a java.nio
     * equivalent uses that meanwhile rather than wait. A class apart, as any use of {@link Syscall}
     * waits for its initialisation.
     */
    public static final class Linked {
        private static volatile boolean started, done;

        private Linked() {}

        public static boolean pending() {
            return started && !done;
        }
    }

    public static long call(long nr, long a, long b, long c, long d, long e, long f) {
        MemorySegment cs = CAPTURE.get();
        long r;
        try {
            r = (long) SYSCALL.invokeExact(cs, nr, a, b, c, d, e, f);
        } catch (RuntimeException | Error t) {
            throw t;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return r == -1 ? -(int) ERRNO.get(cs, 0L) : r;
    }

    public static long call(long nr, long a, long b, long c, long d) {
        return call(nr, a, b, c, d, 0, 0);
    }

    public static long call(long nr, long a, long b, long c) {
        return call(nr, a, b, c, 0, 0, 0);
    }

    public static long call(long nr, long a, long b) {
        return call(nr, a, b, 0, 0, 0, 0);
    }

    public static long call(long nr, long a) {
        return call(nr, a, 0, 0, 0, 0, 0);
    }

    /**
     * The address of a native segment of at least {@code bytes} bytes, for a pointer argument; a
     * heap segment (which has none) or a short one is refused rather than handed to the kernel.
     */
    public static long address(MemorySegment s, long bytes) {
        if (!s.isNative()) throw new IllegalArgumentException("not a native segment: " + s);
        if (bytes > s.byteSize()) throw new IndexOutOfBoundsException(bytes + " bytes asked of a segment of " + s.byteSize());
        return s.address();
    }

    /** {@link #address(MemorySegment, long)} of the whole segment. */
    public static long address(MemorySegment s) {
        return address(s, 0);
    }
}
