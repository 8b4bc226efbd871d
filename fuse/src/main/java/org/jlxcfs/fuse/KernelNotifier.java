package org.jlxcfs.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Messages the server sends the kernel unasked (FUSE notifications: an out header with unique 0
 * and the notification code in the error field), written on any fd of the connection.
 */
public final class KernelNotifier {
    private static final System.Logger LOG = System.getLogger("jlxcfs.fuse");
    static final int INVAL_INODE = 2, STORE = 4, RESEND = 7;

    /** Does nothing: for a filesystem used without a connection (unit tests). */
    public static final KernelNotifier NONE = new KernelNotifier(-1);

    /** A page drop a worker owes the kernel once its reply is written (see {@link #dropPagesAfterReply}). */
    private static final ThreadLocal<Deferred> AFTER_REPLY = ThreadLocal.withInitial(Deferred::new);

    private static final class Deferred {
        KernelNotifier notifier;
        long node;
    }

    private final int fd;

    public KernelNotifier(int fd) {
        this.fd = fd;
    }

    /**
     * Raises the kernel's idea of {@code node}'s size to at least {@code size}, without a round
     * trip: FUSE_NOTIFY_STORE of one zero byte just below that size (a store of no data changes
     * no size). The kernel lowers the size again by itself when a page-cache read comes back
     * short. The one page it makes, far past any content and never marked up to date, goes with
     * the page-cache drop of the open this is sent in.
     */
    public void raiseSize(long node, long size) {
        if (fd < 0) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(41, 8);
            header(m, 41, STORE);
            m.set(JAVA_LONG, 16, node);
            m.set(JAVA_LONG, 24, size - 1);
            m.set(JAVA_INT, 32, 1);
            m.set(JAVA_INT, 36, 0);
            m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 40, (byte) 0);
            send(m, "FUSE_NOTIFY_STORE", node);
        }
    }

    /**
     * After the reply the calling worker is about to write, drops {@code node}'s pages from the
     * page cache (FUSE_NOTIFY_INVAL_INODE), so what a page-cache read (splice, sendfile, mmap)
     * brought in for one reader is not found there by another. Dropping before the reply would
     * drop nothing.
     */
    public void dropPagesAfterReply(long node) {
        if (fd < 0) return;
        Deferred d = AFTER_REPLY.get();
        if (d.notifier != null && d.node != node) d.notifier.dropPages(d.node);
        d.notifier = this;
        d.node = node;
    }

    /** Called by a worker once it has written a reply: sends what the request deferred. */
    static void afterReply() {
        Deferred d = AFTER_REPLY.get();
        if (d.notifier == null) return;
        KernelNotifier n = d.notifier;
        d.notifier = null;
        n.dropPages(d.node);
    }

    private void dropPages(long node) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(40, 8);
            header(m, 40, INVAL_INODE);
            m.set(JAVA_LONG, 16, node);
            m.set(JAVA_LONG, 24, 0L);  // from offset 0
            m.set(JAVA_LONG, 32, 0L);  // len 0: to the end
            send(m, "FUSE_NOTIFY_INVAL_INODE", node);
        }
    }

    /**
     * FUSE_NOTIFY_RESEND (Linux 6.9+): requests read by a server that will never answer them go
     * back to the queue, to be read again (and, while nobody reads, to be ended by a fatal signal).
     *
     * @return 0 or -errno
     */
    public int resend() {
        if (fd < 0) return 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16, 8);
            header(m, 16, RESEND);
            long w = Libc.write(fd, m, 16);
            return w == 16 ? 0 : (int) (w < 0 ? w : -Errno.EIO);
        }
    }

    private static void header(MemorySegment m, int length, int code) {
        m.set(JAVA_INT, 0, length);
        m.set(JAVA_INT, 4, code);
        m.set(JAVA_LONG, 8, 0L);
    }

    private void send(MemorySegment m, String what, long node) {
        long w = Libc.write(fd, m, m.byteSize());
        // ENOENT: the kernel has forgotten the node, so it caches nothing of it either
        if (w < 0 && w != -Errno.ENOENT) {
            LOG.log(System.Logger.Level.DEBUG, what + " for node " + node + " failed: " + Errno.describe((int) -w));
        }
    }
}
