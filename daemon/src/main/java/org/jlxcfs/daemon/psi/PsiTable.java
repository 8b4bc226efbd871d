package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What every daemon serving a connection must agree on about its PSI triggers, in a memfd that
 * outlives each of them (kept with the connection like the trigger fds) and is mapped shared by
 * each: per trigger its handle (fh), the kernel's poll handle (kh) and whether an event is pending
 * or the trigger is gone. During a graceful overlap both daemons epoll the same trigger files and
 * either may answer a POLL; the kernel hands an event to whichever epoll looks first, so it is
 * recorded here with atomic operations (never lost, never reported twice).
 *
 * <p>Layout: a 64-byte header (magic, version, slot count, slot size), then 64-byte slots: fh (0
 * when free), kh, state bits, text length and up to 36 bytes of the trigger's text for logs.
 */
final class PsiTable implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jlxcfs.psi");
    static final long MAGIC = 0x3154535049534c4aL; // "JLSIPST1" read as a little-endian long
    static final long VERSION = 1;
    static final int HEADER = 64, SLOT = 64, TEXT = 36;
    static final long PENDING = 1, GONE = 2;
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    private final int fd;
    private final int slots;
    private final Arena arena;
    private final MemorySegment mem;

    private PsiTable(int fd, int slots, Arena arena, MemorySegment mem) {
        this.fd = fd;
        this.slots = slots;
        this.arena = arena;
        this.mem = mem;
    }

    /** A new, empty table of {@code slots} triggers in a memfd of its own. */
    static PsiTable create(int slots) throws IOException {
        byte[] init = new byte[HEADER + slots * SLOT];
        MemorySegment h = MemorySegment.ofArray(init);
        h.set(JAVA_LONG.withByteAlignment(1), 0, MAGIC);
        h.set(JAVA_LONG.withByteAlignment(1), 8, VERSION);
        h.set(JAVA_LONG.withByteAlignment(1), 16, slots);
        h.set(JAVA_LONG.withByteAlignment(1), 24, SLOT);
        int fd = Libc.memfd("jlxcfs-psi-table", init);
        try {
            return map(fd, init.length, slots);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * The table a predecessor left in {@code fd} (now ours), or empty (fd closed, one log line)
     * when it is not one: wrong size, magic, version or slot size. Triggers then start afresh.
     */
    static Optional<PsiTable> adopt(int fd) {
        try {
            long size = java.nio.file.Files.size(Path.of("/proc/self/fd/" + fd));
            if (size < HEADER) throw new IOException(size + " bytes");
            PsiTable t = map(fd, size, 0);
            long magic = (long) LONG.getVolatile(t.mem, 0L), version = (long) LONG.getVolatile(t.mem, 8L);
            long slots = (long) LONG.getVolatile(t.mem, 16L), slot = (long) LONG.getVolatile(t.mem, 24L);
            if (magic != MAGIC || version != VERSION || slot != SLOT || slots <= 0 || slots > 1 << 20
                    || size != HEADER + slots * SLOT) {
                t.arena.close();
                throw new IOException("magic " + Long.toHexString(magic) + ", version " + version + ", " + slots + " slots of "
                        + slot + " bytes in " + size + " bytes");
            }
            return Optional.of(new PsiTable(fd, (int) slots, t.arena, t.mem));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring the PSI trigger table passed on by the previous daemon ("
                    + e.getMessage() + "): its triggers are dropped");
            Libc.close(fd);
            return Optional.empty();
        }
    }

    private static PsiTable map(int fd, long size, int slots) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new PsiTable(fd, slots, arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The memfd (kept with the connection so the next daemon maps the same memory). */
    int fd() {
        return fd;
    }

    int slots() {
        return slots;
    }

    private static long at(int slot, int field) {
        return HEADER + (long) slot * SLOT + field;
    }

    /** Takes a free slot for {@code fh} (compare-and-set of its fh from 0), or -1 when all are taken. */
    int claim(long fh, String text) {
        if (fh == 0) return -1;
        for (int i = 0; i < slots; i++) {
            if ((long) LONG.getVolatile(mem, at(i, 0)) == 0 && LONG.compareAndSet(mem, at(i, 0), 0L, fh)) {
                LONG.setVolatile(mem, at(i, 8), 0L);
                LONG.setVolatile(mem, at(i, 16), 0L);
                byte[] b = text.getBytes(StandardCharsets.UTF_8);
                int n = Math.min(b.length, TEXT);
                MemorySegment.copy(MemorySegment.ofArray(b), 0, mem, at(i, 28), n);
                mem.set(java.lang.foreign.ValueLayout.JAVA_INT, at(i, 24), n);
                return i;
            }
        }
        return -1;
    }

    /** The slot holding {@code fh}, or -1. */
    int find(long fh) {
        if (fh == 0) return -1;
        for (int i = 0; i < slots; i++) if ((long) LONG.getVolatile(mem, at(i, 0)) == fh) return i;
        return -1;
    }

    long fh(int slot) {
        return (long) LONG.getVolatile(mem, at(slot, 0));
    }

    long kh(int slot) {
        return (long) LONG.getVolatile(mem, at(slot, 8));
    }

    void setKh(int slot, long fh, long kh) {
        if (fh(slot) == fh) LONG.setVolatile(mem, at(slot, 8), kh);
    }

    /** An event the kernel reported (and so consumed): recorded before anyone is told. */
    void markPending(int slot, long fh) {
        if (fh(slot) == fh) LONG.getAndBitwiseOr(mem, at(slot, 16), PENDING);
    }

    void markGone(int slot, long fh) {
        if (fh(slot) == fh) LONG.getAndBitwiseOr(mem, at(slot, 16), GONE);
    }

    boolean pending(int slot) {
        return ((long) LONG.getVolatile(mem, at(slot, 16)) & PENDING) != 0;
    }

    boolean gone(int slot) {
        return ((long) LONG.getVolatile(mem, at(slot, 16)) & GONE) != 0;
    }

    /** Consumes a pending event: true for exactly one caller per event, whichever process asks. */
    boolean takePending(int slot, long fh) {
        while (fh(slot) == fh) {
            long s = (long) LONG.getVolatile(mem, at(slot, 16));
            if ((s & PENDING) == 0) return false;
            if (LONG.compareAndSet(mem, at(slot, 16), s, s & ~PENDING)) return true;
        }
        return false;
    }

    String text(int slot) {
        int n = Math.clamp(mem.get(java.lang.foreign.ValueLayout.JAVA_INT, at(slot, 24)), 0, TEXT);
        byte[] b = new byte[n];
        MemorySegment.copy(mem, at(slot, 28), MemorySegment.ofArray(b), 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Frees {@code fh}'s slot (if it still holds it): state cleared first, so a new owner starts clean. */
    void free(int slot, long fh) {
        if (fh(slot) != fh) return;
        LONG.setVolatile(mem, at(slot, 16), 0L);
        LONG.setVolatile(mem, at(slot, 8), 0L);
        LONG.compareAndSet(mem, at(slot, 0), fh, 0L);
    }

    @Override
    public void close() {
        arena.close();
        Libc.close(fd);
    }
}
