package org.jlxcfs.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * One serving thread: reads requests from its own non-blocking /dev/fuse fd, answers each inline,
 * and waits in epoll on that fd and the session's stop eventfd when the queue is empty. Waiting
 * there rather than in read is what lets a stop (or a handover) end the loop between two
 * requests, with nothing read and left unanswered. The FUSE fd is registered EPOLLEXCLUSIVE: all
 * workers' fds share the connection's one wait queue, and a plain poll would wake every idle
 * worker for each request (all but one then find nothing), which on a small machine costs more
 * than serving the request.
 */
final class Worker implements Runnable {
    private static final System.Logger LOG = System.getLogger("jlxcfs.fuse");
    /** -Djlxcfs.fuse.trace=true logs every request in hex (used to record codec test inputs). */
    private static final boolean TRACE = Boolean.getBoolean("jlxcfs.fuse.trace");

    /**
     * Test-only: {@code -Djlxcfs.debug.failWorkerAfter=N} makes the worker that answers the Nth
     * request of this process throw an Error right after replying (outside request handling), so
     * tests can check a dying worker makes the daemon exit without taking the mount down.
     */
    private static final long FAIL_AFTER = Long.getLong("jlxcfs.debug.failWorkerAfter", 0);
    private static final java.util.concurrent.atomic.AtomicLong ANSWERED = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Test-only: {@code -Djlxcfs.debug.stallWorkerAfter=N}: from the Nth READ this process reads on,
     * a worker never answers it, so a test can kill a daemon that certainly holds requests a reader
     * waits for (and check the keeper's resend makes those readers killable).
     */
    private static final long STALL_AFTER = Long.getLong("jlxcfs.debug.stallWorkerAfter", 0);
    private static final java.util.concurrent.atomic.AtomicLong READ = new java.util.concurrent.atomic.AtomicLong();

    /** Why the loop ended. */
    enum Exit { STOPPED, CONNECTION_ENDED, FAILED }

    private static final long FUSE_EVENT = 0, STOP_EVENT = 1;

    private final int fd;
    private final int stopFd;
    /** CPUs this worker runs on ({@link WorkerPinning}); null: wherever the scheduler likes. */
    private final int[] cpus;
    private final RequestHandler handler;
    private final FuseSession session;
    volatile Exit exit;
    private boolean replied;

    Worker(int fd, int stopFd, int[] cpus, RequestHandler handler, FuseSession session) {
        this.fd = fd;
        this.stopFd = stopFd;
        this.cpus = cpus;
        this.handler = handler;
        this.session = session;
    }

    @Override
    public void run() {
        if (cpus != null) {
            int r = Libc.pinCurrentThread(cpus);
            // Not fatal: the worker serves as well, only slower (e.g. a seccomp profile forbids it).
            if (r < 0) LOG.log(System.Logger.Level.DEBUG, "cannot pin " + Thread.currentThread().getName()
                    + " to CPUs " + java.util.Arrays.toString(cpus) + ": " + Errno.describe(-r));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(RequestHandler.IN_BUFFER, 4096);
            MemorySegment out = arena.allocate(RequestHandler.OUT_BUFFER, 4096);
            MemorySegment events = arena.allocate(2L * Libc.EPOLL_EVENT_SIZE, 8);
            int epfd = Libc.epollCreate();
            try {
                register(epfd);
                exit = loop(in, out, epfd, events);
            } finally {
                Libc.close(epfd);
            }
        } catch (Throwable t) {
            // the session tells the daemon, which exits (keeping the mount) so a fresh process serves
            LOG.log(System.Logger.Level.ERROR, "FUSE worker " + Thread.currentThread().getName() + " died: " + t, t);
            exit = Exit.FAILED;
        } finally {
            session.workerExited(this);
        }
    }

    private void register(int epfd) throws LibcException {
        int r = Libc.epollAdd(epfd, fd, Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE, FUSE_EVENT);
        if (r == -Errno.EINVAL) r = Libc.epollAdd(epfd, fd, Libc.EPOLLIN, FUSE_EVENT); // kernel before 4.5
        if (r < 0) throw new LibcException("epoll_ctl", "/dev/fuse fd " + fd, -r);
        // Not exclusive: a stop must wake every worker.
        r = Libc.epollAdd(epfd, stopFd, Libc.EPOLLIN, STOP_EVENT);
        if (r < 0) throw new LibcException("epoll_ctl", "eventfd " + stopFd, -r);
    }

    /**
     * After a reply, a worker either reads again at once (the queue may hold more: under load that
     * saves the epoll_wait, one system call per request) or first waits in epoll (with one reader
     * waiting for each answer, nothing has been sent yet: the read would say EAGAIN, a system call
     * wasted on every request). Which one pays is learned per worker: each read at once that finds
     * a request counts one up, each that finds none one down, within ±{@value #SCORE_LIMIT}; it
     * reads at once while the count is not negative, and tries once every {@value #PROBE_EVERY}
     * requests otherwise, so that it notices when the load grows. Measured on 2 CPUs, system calls
     * of the daemon per open/read/close cycle: 1 reader 11.5 reading at once always, 8.7 waiting
     * first always, 7.6-9.3 learning; 2 readers 7.5, 8.7 and 7.2-8.1.
     */
    static final int SCORE_LIMIT = 4, PROBE_EVERY = 8;

    private Exit loop(MemorySegment in, MemorySegment out, int epfd, MemorySegment events) {
        int score = 0, sinceProbe = 0;
        boolean waited = false;
        while (!session.stopping()) {
            long n = Libc.read(fd, in, in.byteSize());
            if (n > 0) {
                if (!waited) score = Math.min(score + 1, SCORE_LIMIT);
                if (TRACE) trace(in, (int) n);
                if (STALL_AFTER > 0 && in.get(JAVA_INT, 4) == Opcode.READ && READ.incrementAndGet() >= STALL_AFTER) {
                    while (true) java.util.concurrent.locks.LockSupport.park();
                }
                int replyLength = handler.handle(in, (int) n, out);
                if (replyLength > 0) {
                    if (!reply(out, replyLength)) return Exit.CONNECTION_ENDED;
                    if (!replied) {
                        replied = true;
                        session.replied();
                    }
                }
                if (FAIL_AFTER > 0 && ANSWERED.incrementAndGet() == FAIL_AFTER) {
                    throw new Error("jlxcfs.debug.failWorkerAfter=" + FAIL_AFTER + " (test-only failure)");
                }
                waited = false;
                if (score < 0 && ++sinceProbe < PROBE_EVERY) {
                    if (session.stopping()) break;
                    if (!await(epfd, events)) return session.stopping() ? Exit.STOPPED : Exit.CONNECTION_ENDED;
                    waited = true;
                } else {
                    sinceProbe = 0;
                }
                continue;
            }
            int errno = (int) -n;
            switch (errno) {
                case Errno.EAGAIN -> {
                    if (!waited) score = Math.max(score - 1, -SCORE_LIMIT);
                    if (!await(epfd, events)) return session.stopping() ? Exit.STOPPED : Exit.CONNECTION_ENDED;
                    waited = true;
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
    private boolean await(int epfd, MemorySegment events) {
        while (true) {
            int r = Libc.epollWait(epfd, events, 2, -1);
            if (r == -Errno.EINTR || r == 0) continue;
            if (r < 0) {
                LOG.log(System.Logger.Level.ERROR, "epoll_wait for /dev/fuse fd " + fd + " failed: " + Errno.describe(-r));
                return false;
            }
            for (int i = 0; i < r; i++) {
                if (events.get(JAVA_LONG_UNALIGNED, i * (long) Libc.EPOLL_EVENT_SIZE + 4) == STOP_EVENT) return false;
            }
            // EPOLLIN: read again. EPOLLERR: the connection was aborted, and the next read says ENODEV.
            return true;
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
