package org.jlxcfs.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One serving thread: reads requests from its own non-blocking /dev/fuse fd, answers each inline,
 * and waits in poll(2) on that fd and the session's stop eventfd when the queue is empty. Waiting
 * in poll rather than in read is what lets a stop (or a handover) end the loop between two
 * requests, with nothing read and left unanswered.
 */
final class Worker implements Runnable {
    private static final System.Logger LOG = System.getLogger("jlxcfs.fuse");
    /** -Djlxcfs.fuse.trace=true logs every request in hex (used to record codec test inputs). */
    private static final boolean TRACE = Boolean.getBoolean("jlxcfs.fuse.trace");

    /** Why the loop ended. */
    enum Exit { STOPPED, CONNECTION_ENDED, FAILED }

    private final int fd;
    private final int stopFd;
    private final RequestHandler handler;
    private final FuseSession session;
    volatile Exit exit;

    Worker(int fd, int stopFd, RequestHandler handler, FuseSession session) {
        this.fd = fd;
        this.stopFd = stopFd;
        this.handler = handler;
        this.session = session;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(RequestHandler.IN_BUFFER, 4096);
            MemorySegment out = arena.allocate(RequestHandler.OUT_BUFFER, 4096);
            MemorySegment pollfds = arena.allocate(16, 8);
            pollfds.set(JAVA_INT, 0, fd);
            pollfds.set(JAVA_SHORT, 4, Libc.POLLIN);
            pollfds.set(JAVA_INT, 8, stopFd);
            pollfds.set(JAVA_SHORT, 12, Libc.POLLIN);
            exit = loop(in, out, pollfds);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "FUSE worker " + Thread.currentThread().getName() + " failed", t);
            exit = Exit.FAILED;
        } finally {
            session.workerExited(this);
        }
    }

    private Exit loop(MemorySegment in, MemorySegment out, MemorySegment pollfds) {
        while (!session.stopping()) {
            long n = Libc.read(fd, in, in.byteSize());
            if (n > 0) {
                if (TRACE) trace(in, (int) n);
                int replyLength = handler.handle(in, (int) n, out);
                if (replyLength > 0 && !reply(out, replyLength)) return Exit.CONNECTION_ENDED;
                continue;
            }
            int errno = (int) -n;
            switch (errno) {
                case Errno.EAGAIN -> {
                    if (!await(pollfds)) return session.stopping() ? Exit.STOPPED : Exit.CONNECTION_ENDED;
                }
                case Errno.EINTR, Errno.ENOENT -> { } // interrupted or aborted request: read again
                case Errno.ENODEV -> {
                    return Exit.CONNECTION_ENDED; // unmounted or aborted
                }
                default -> {
                    LOG.log(System.Logger.Level.ERROR, "read of /dev/fuse fd " + fd + " failed: "
                            + Errno.describe(errno) + "; worker stops");
                    return Exit.FAILED;
                }
            }
        }
        return Exit.STOPPED;
    }

    /** Waits for a request or a stop; false when the connection is gone or the session stops. */
    private boolean await(MemorySegment pollfds) {
        while (true) {
            int r = Libc.poll(pollfds, 2, -1);
            if (r == -Errno.EINTR) continue;
            if (r < 0) {
                LOG.log(System.Logger.Level.ERROR, "poll on /dev/fuse fd " + fd + " failed: " + Errno.describe(-r));
                return false;
            }
            if (pollfds.get(JAVA_SHORT, 14) != 0) return false; // stop eventfd fired
            // POLLIN: read again. POLLERR: the connection was aborted, and the next read says ENODEV.
            return (pollfds.get(JAVA_SHORT, 6) & Libc.POLLNVAL) == 0;
        }
    }

    private boolean reply(MemorySegment out, int length) {
        long w = Libc.write(fd, out, length);
        if (w == length) return true;
        int errno = (int) -w;
        if (errno == Errno.ENOENT) return true; // the request was interrupted meanwhile: nobody waits
        if (errno == Errno.ENODEV) return false;
        LOG.log(System.Logger.Level.ERROR, "writing a " + length + "-byte FUSE reply failed: "
                + (w >= 0 ? "short write of " + w : Errno.describe(errno)));
        return true;
    }

    private static void trace(MemorySegment in, int n) {
        byte[] bytes = in.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        LOG.log(System.Logger.Level.INFO, "request " + Opcode.name(in.get(JAVA_INT, 4)) + " "
                + HexFormat.of().formatHex(bytes));
    }
}
