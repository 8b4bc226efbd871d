package org.jlxcfs.view.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.OptionalInt;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(cs, arena.allocateFrom(nsFile), O_RDONLY_CLOEXEC);
            if (fd < 0) return OptionalInt.empty();
            try {
                int pid = (int) IOCTL.invokeExact(cs, fd, NS_GET_PID_FROM_PIDNS, 1L);
                if (pid > 0) return OptionalInt.of(pid);
                int errno = (int) ERRNO.get(cs, 0L);
                if (errno == ESRCH) throw new NoInitException();
                if (errno == ENOTTY || errno == EINVAL) supported = false;
                return OptionalInt.empty();
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (NoInitException e) {
            throw e;
        } catch (Throwable t) {
            return OptionalInt.empty();
        }
    }
}
