package org.jlxcfs.view.host;

import org.jlxcfs.sys.Syscall;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

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

    /** Per thread: a path buffer and a data buffer, allocated once. */
    private static final class Buffers {
        final Arena arena = Arena.ofAuto();
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
        return EXISTING.get(file.toString(), () -> Files.exists(file) ? YES : NO).length > 0;
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
        if (Syscall.Linked.pending()) return readWithoutSyscall(file);
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
        if (Syscall.Linked.pending()) return readLinkWithoutSyscall(link);
        Buffers b = BUFFERS.get();
        setPath(link, b);
        long n = Syscall.call(Syscall.READLINKAT, Syscall.AT_FDCWD, b.path.address(), b.data.address(), b.data.byteSize());
        if (n < 0) throw error(link, (int) -n);
        return b.data.asSlice(0, n).toArray(JAVA_BYTE);
    }

    private static void setPath(Path file, Buffers b) throws IOException {
        byte[] name = file.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= 4095) throw new FileSystemException(file.toString(), null, "path too long");
        MemorySegment.copy(name, 0, b.path, JAVA_BYTE, 0, name.length);
        b.path.set(JAVA_BYTE, name.length, (byte) 0);
    }

    private static int read(Path file, Buffers b) throws IOException {
        setPath(file, b);
        int fd = (int) Syscall.call(Syscall.OPENAT, Syscall.AT_FDCWD, b.path.address(), O_RDONLY_CLOEXEC);
        if (fd < 0) throw error(file, -fd);
        try {
            long total = 0;
            while (true) {
                if (total == b.data.byteSize()) grow(b);
                long r = Syscall.call(Syscall.READ, fd, b.data.address() + total, b.data.byteSize() - total);
                if (r == 0) break;
                if (r < 0) {
                    if (r == -EINTR) continue;
                    throw error(file, (int) -r);
                }
                total += r;
            }
            if (b.heap.length < total) b.heap = new byte[(int) b.data.byteSize()];
            MemorySegment.copy(b.data, JAVA_BYTE, 0, b.heap, 0, (int) total);
            return (int) total;
        } finally {
            Syscall.call(Syscall.CLOSE, fd);
        }
    }

    /**
     * While a starting daemon's downcall is still being linked on another thread: java.nio, with
     * the same exceptions as {@link #error} (its ESRCH, a /proc/PID file of an exiting process,
     * is a plain FileSystemException).
     */
    static byte[] readWithoutSyscall(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (FileSystemException e) {
            throw asError(file, e);
        }
    }

    static byte[] readLinkWithoutSyscall(Path link) throws IOException {
        try {
            return Files.readSymbolicLink(link).toString().getBytes(StandardCharsets.UTF_8);
        } catch (FileSystemException e) {
            throw asError(link, e);
        }
    }

    private static FileSystemException asError(Path file, FileSystemException e) {
        return e instanceof NoSuchFileException || e instanceof AccessDeniedException || !"No such process".equals(e.getReason())
                ? e : new NoSuchFileException(file.toString());
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
