package org.jlxcfs.view.host;

import org.jlxcfs.sys.Syscall;

import java.lang.foreign.Arena;
import java.util.OptionalInt;

/**
 * The kernel's pid translation between pid namespaces (nsfs ioctl NS_GET_PID_FROM_PIDNS, Linux
 * 6.11+): "which pid is the init of this process's namespace, in mine" in one call, where older
 * kernels need a /proc scan.
 */
public final class PidNamespaces {
    private PidNamespaces() {}

    /** _IOR(NSIO = 0xb7, 0x6, int): translate a pid of the target namespace into the caller's. */
    private static final long NS_GET_PID_FROM_PIDNS = 0x8004b706L;
    private static final int O_RDONLY_CLOEXEC = 02000000;
    private static final int ESRCH = 3, EINVAL = 22, ENOTTY = 25;

    /** Cleared the first time the kernel says it does not know the ioctl. */
    private static volatile boolean supported = true;

    public static boolean supported() {
        return supported;
    }

    /** Thrown when the namespace has no init any more (it is being torn down). */
    public static final class NoInitException extends Exception {
        NoInitException() {
            super(null, null, false, false);
        }
    }

    /**
     * The pid, in the caller's namespace, of pid 1 of the pid namespace that {@code nsFile}
     * (e.g. /proc/1234/ns/pid) refers to; empty when the kernel lacks the ioctl or the file
     * cannot be opened (the process is gone).
     */
    public static OptionalInt initOf(String nsFile) throws NoInitException {
        if (!supported) return OptionalInt.empty();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) Syscall.call(Syscall.OPENAT, Syscall.AT_FDCWD, arena.allocateFrom(nsFile).address(), O_RDONLY_CLOEXEC);
        }
        if (fd < 0) return OptionalInt.empty();
        try {
            int pid = (int) Syscall.call(Syscall.IOCTL, fd, NS_GET_PID_FROM_PIDNS, 1L);
            if (pid > 0) return OptionalInt.of(pid);
            if (pid == -ESRCH) throw new NoInitException();
            if (pid == -ENOTTY || pid == -EINVAL) supported = false;
            return OptionalInt.empty();
        } finally {
            Syscall.call(Syscall.CLOSE, fd);
        }
    }
}
