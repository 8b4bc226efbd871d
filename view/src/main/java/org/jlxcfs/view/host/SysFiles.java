package org.jlxcfs.view.host;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Reads small kernel files (/proc, cgroupfs, sysfs) with three system calls and a per-thread
 * buffer. Every read of a virtual file reads a dozen of them, and java.nio's general path
 * (channels, size probing, growing buffers) costs several times the system calls themselves.
 * Errors are the usual java.nio exceptions, so callers need not care which reader ran. What was
 * read successfully is shared with every caller that asks for the same file within a few
 * milliseconds ({@link Recent}).
 */
public final class SysFiles {
    private SysFiles() {}

    private static final int O_RDONLY_CLOEXEC = 02000000, ENOENT = 2, ESRCH = 3, EACCES = 13, EINTR = 4;
    private static final int BUFFER = 256 * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = call("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle READ = call("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READLINK = call("readlink", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    /** Per thread: errno capture, a path buffer and a data buffer, allocated once. */
    private static final class Buffers {
        final Arena arena = Arena.ofAuto();
        final MemorySegment capture = arena.allocate(CAPTURE);
        final MemorySegment path = arena.allocate(4096);
        MemorySegment data = arena.allocate(BUFFER);
        byte[] heap = new byte[BUFFER];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Files and link targets read in the last few milliseconds ({@link Recent}). */
    private static final Recent<String> FILES = new Recent<>(Recent.MAX_ENTRIES, Recent.MAX_BYTES),
            LINKS = new Recent<>(Recent.MAX_ENTRIES, Recent.MAX_BYTES / 8),
            EXISTING = new Recent<>(Recent.MAX_ENTRIES, Recent.MAX_BYTES / 8);
    private static final byte[] YES = {1}, NO = {};

    /** Whether {@code file} exists (asked before reading files that only some kernels or setups have). */
    public static boolean exists(Path file) throws IOException {
        return EXISTING.get(file.toString(), () -> java.nio.file.Files.exists(file) ? YES : NO).length > 0;
    }

    public static String readString(Path file) throws IOException {
        return new String(FILES.get(file.toString(), () -> readFresh(file)), StandardCharsets.UTF_8);
    }

    /** The file as it is now, neither taken from nor given to the readings shared for a few ms. */
    public static String readStringNow(Path file) throws IOException {
        return new String(readFresh(file), StandardCharsets.UTF_8);
    }

    public static byte[] readBytes(Path file) throws IOException {
        return FILES.get(file.toString(), () -> readFresh(file)).clone();
    }

    private static byte[] readFresh(Path file) throws IOException {
        Buffers b = BUFFERS.get();
        int n = read(file, b);
        byte[] out = new byte[n];
        System.arraycopy(b.heap, 0, out, 0, n);
        return out;
    }

    /** The target of a symbolic link, such as /proc/PID/ns/pid ("pid:[4026531836]"). */
    public static String readLink(Path link) throws IOException {
        return new String(LINKS.get(link.toString(), () -> readLinkFresh(link)), StandardCharsets.UTF_8);
    }

    private static byte[] readLinkFresh(Path link) throws IOException {
        Buffers b = BUFFERS.get();
        setPath(link, b);
        try {
            long n = (long) READLINK.invokeExact(b.capture, b.path, b.data, b.data.byteSize());
            if (n < 0) throw error(link, (int) ERRNO.get(b.capture, 0L));
            return b.data.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void setPath(Path file, Buffers b) throws IOException {
        byte[] name = file.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= 4095) throw new FileSystemException(file.toString(), null, "path too long");
        MemorySegment.copy(name, 0, b.path, JAVA_BYTE, 0, name.length);
        b.path.set(JAVA_BYTE, name.length, (byte) 0);
    }

    private static int read(Path file, Buffers b) throws IOException {
        setPath(file, b);
        try {
            int fd = (int) OPEN.invokeExact(b.capture, b.path, O_RDONLY_CLOEXEC);
            if (fd < 0) throw error(file, (int) ERRNO.get(b.capture, 0L));
            try {
                long total = 0;
                while (true) {
                    if (total == b.data.byteSize()) grow(b);
                    long r = (long) READ.invokeExact(b.capture, fd, b.data.asSlice(total), b.data.byteSize() - total);
                    if (r == 0) break;
                    if (r < 0) {
                        int errno = (int) ERRNO.get(b.capture, 0L);
                        if (errno == EINTR) continue;
                        throw error(file, errno);
                    }
                    total += r;
                }
                if (b.heap.length < total) b.heap = new byte[(int) b.data.byteSize()];
                MemorySegment.copy(b.data, JAVA_BYTE, 0, b.heap, 0, (int) total);
                return (int) total;
            } finally {
                int ignored = (int) CLOSE.invokeExact(b.capture, fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Files larger than the buffer (a /proc/stat of thousands of CPUs) double it. */
    private static void grow(Buffers b) {
        MemorySegment bigger = b.arena.allocate(b.data.byteSize() * 2);
        MemorySegment.copy(b.data, 0, bigger, 0, b.data.byteSize());
        b.data = bigger;
    }

    private static IOException error(Path file, int errno) {
        return switch (errno) {
            case ENOENT, ESRCH -> new NoSuchFileException(file.toString());
            case EACCES -> new AccessDeniedException(file.toString());
            default -> new FileSystemException(file.toString(), null, "errno " + errno);
        };
    }
}
