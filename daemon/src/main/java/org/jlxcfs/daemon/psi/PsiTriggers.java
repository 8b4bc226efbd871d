package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.LibcException;
import org.jlxcfs.fuse.PollNotification;
import org.jlxcfs.fuse.RateLimitedLog;
import org.jlxcfs.fuse.tree.VirtualTree;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The PSI triggers containers created through the daemon's pressure files. Each is a kernel
 * trigger on the container's own pressure file, opened O_RDWR by the daemon and held until the
 * handle it was written to is released. One thread waits for all of them in one epoll set
 * (EPOLLPRI), never a thread per trigger. The kernel's poll consumes an event as it reports it, so
 * an event that thread sees is kept as "pending" on the handle until a POLL of that handle reports
 * it (POLLPRI once, as the kernel's own file would), and the kernel is told with FUSE_NOTIFY_POLL so
 * its waiting pollers ask again.
 *
 * <p>Bounded: {@link #perContainer} triggers per container (by cgroup file) and {@link #total} in
 * all; past either the write gets ENOSPC, the errno inotify gives for its watch limit: the handle
 * is fine, a per-user-ish table is full. Each trigger costs the daemon one fd and a few hundred bytes.
 */
public final class PsiTriggers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jlxcfs.psi");
    /** poll(2) bits. */
    static final int POLLPRI = 0x2, POLLERR = 0x8;
    /** A handle without a trigger (or whose trigger's cgroup is gone) polls as the kernel's: readable, error, priority. */
    static final int NO_TRIGGER = VirtualTree.DEFAULT_POLLMASK | POLLERR | POLLPRI;

    public static final int DEFAULT_PER_CONTAINER = 64, DEFAULT_TOTAL = 4096;

    private final int perContainer, total;
    private final Path proc;
    private final Map<Long, Trigger> triggers = new ConcurrentHashMap<>();
    /** Handles opened for writing by a privileged process (rare: host root); see {@link OpenerPrivilege}. */
    private final Set<Long> privilegedOpens = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();
    private final RateLimitedLog refusals = new RateLimitedLog(LOG, 60);
    private final int epfd, stopFd;
    private final Thread waiter;
    private volatile int fuseFd = -1;
    /** Whether {@link #fuseFd} is our clone (closed with us) rather than the session's own. */
    private volatile boolean ownFuseFd;
    private volatile boolean closed;

    /** One trigger: its kernel fd, the container it counts against, and what the POLLs saw. */
    private static final class Trigger {
        final long fh;
        int fd = -1;
        String container;
        String describe;
        /** The kernel's handle for poll notifications, 0 until a POLL told it. */
        long kh;
        boolean pending, gone;

        Trigger(long fh) {
            this.fh = fh;
        }
    }

    public PsiTriggers(Path proc, int perContainer, int total) throws LibcException {
        this.proc = proc;
        this.perContainer = perContainer;
        this.total = total;
        this.epfd = Libc.epollCreate();
        this.stopFd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        int r = Libc.epollAdd(epfd, stopFd, Libc.EPOLLIN, 0);
        if (r < 0) throw new LibcException("epoll_ctl", "eventfd " + stopFd, -r);
        this.waiter = Thread.ofPlatform().daemon().name("jlxcfs-psi").unstarted(this::waitForEvents);
        waiter.start();
    }

    /**
     * The connection the notifications go to (set once the daemon serves one): a clone of its fd of
     * our own, never read, so notifications can still be sent after the session handed its fds over.
     */
    public void attach(int masterFd) {
        try {
            this.fuseFd = Libc.cloneFuseFd(masterFd, 0);
            this.ownFuseFd = true;
        } catch (LibcException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot clone the FUSE fd for PSI notifications (" + e.getMessage()
                    + "); using the connection's own");
            this.fuseFd = masterFd;
        }
    }

    /**
     * After a handover: this process's triggers die with it, and the successor does not know them
     * (it answers their handles' POLL with POLLERR|POLLPRI, the kernel's "no trigger"). Every poller
     * waiting on one is woken so it asks the successor now and learns its trigger is gone, instead of
     * waiting for an event nobody will deliver.
     */
    public void wakePollersAfterHandover() {
        int fd = fuseFd, woken = 0;
        if (fd < 0) return;
        for (Trigger t : triggers.values()) {
            long kh;
            synchronized (t) {
                kh = t.kh;
            }
            if (kh != 0 && PollNotification.send(fd, kh) == 0) woken++;
        }
        if (!triggers.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, triggers.size() + " PSI triggers end with this process (" + woken
                    + " pollers woken to learn it from the next daemon)");
        }
    }

    /** Triggers held now (for metrics and logs). */
    public int held() {
        return held.get();
    }

    void opened(int pid, long fh) {
        if (OpenerPrivilege.of(proc, pid)) privilegedOpens.add(fh);
    }

    /**
     * Creates the trigger {@code written} asks for on {@code source} (the container's pressure
     * file), counted against {@code container}. EBUSY if the handle has one already.
     */
    int create(long fh, byte[] written, Path source, String container) throws FuseError {
        Trigger t = new Trigger(fh);
        // claimed first, so that of two writes racing on one handle exactly one goes on
        if (triggers.putIfAbsent(fh, t) != null) throw FuseError.of(Errno.EBUSY);
        boolean done = false;
        try {
            TriggerRequest request = TriggerRequest.parse(written, privilegedOpens.contains(fh));
            reserve(container, request, source);
            try {
                int fd = openTrigger(source, request);
                synchronized (t) {
                    t.fd = fd;
                    t.container = container;
                    t.describe = request + " on " + source;
                }
                int r = Libc.epollAdd(epfd, fd, Libc.EPOLLPRI, fh);
                if (r < 0) {
                    Libc.close(fd);
                    throw FuseError.of(Errno.ENOMEM, "epoll_ctl for the trigger on " + source + ": " + Errno.describe(-r));
                }
                done = true;
                LOG.log(System.Logger.Level.DEBUG, () -> "PSI trigger " + request + " on " + source + " (" + held.get() + " held)");
                return written.length;
            } finally {
                if (!done) unreserve(container);
            }
        } finally {
            if (!done) triggers.remove(fh, t);
        }
    }

    private void reserve(String container, TriggerRequest request, Path source) throws FuseError {
        boolean[] full = {false};
        // one atomic step per container, so a count is never lost to a concurrent release
        counts.compute(container, (k, c) -> {
            AtomicInteger n = c != null ? c : new AtomicInteger();
            if (n.get() >= perContainer) full[0] = true;
            else n.incrementAndGet();
            return n;
        });
        if (full[0]) {
            refusals.log("PSI trigger " + request + " on " + source + " refused ENOSPC: container " + container
                    + " holds " + perContainer + " triggers already (the per-container bound)", null);
            throw FuseError.of(Errno.ENOSPC);
        }
        if (held.incrementAndGet() > total) {
            held.decrementAndGet();
            counts.computeIfPresent(container, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
            refusals.log("PSI trigger " + request + " on " + source + " refused ENOSPC: the daemon holds " + total
                    + " triggers already (the overall bound)", null);
            throw FuseError.of(Errno.ENOSPC);
        }
    }

    private void unreserve(String container) {
        held.decrementAndGet();
        counts.computeIfPresent(container, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    /** Opens the kernel's file and writes the canonical trigger; the kernel's errno is the writer's. */
    private static int openTrigger(Path source, TriggerRequest request) throws FuseError {
        int fd;
        try {
            fd = Libc.open(source.toString(), Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        } catch (LibcException e) {
            // a cgroup removed meanwhile: the kernel says ENOENT; to the writer the file is there, so ENODEV
            throw FuseError.of(e.errno() == Errno.ENOENT ? Errno.ENODEV : e.errno(), e.getMessage());
        }
        byte[] text = request.kernelText();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, text);
            long w = Libc.write(fd, buf, text.length);
            if (w < 0) {
                Libc.close(fd);
                throw FuseError.of((int) -w, "writing '" + request + "' to " + source + ": " + Errno.describe((int) -w));
            }
        }
        return fd;
    }

    /** A POLL of the handle {@code fh}: reports and consumes a pending event, else remembers {@code kh}. */
    int poll(long fh, long kh) {
        Trigger t = triggers.get(fh);
        if (t == null) return NO_TRIGGER;
        synchronized (t) {
            if (t.fd < 0 && !t.gone) return NO_TRIGGER; // still being created
            if (kh != 0) t.kh = kh;
            if (t.gone) return NO_TRIGGER;
            if (t.pending) {
                t.pending = false;
                return VirtualTree.DEFAULT_POLLMASK | POLLPRI;
            }
            return VirtualTree.DEFAULT_POLLMASK;
        }
    }

    /** The handle is gone: its trigger (if any) is destroyed with its fd. */
    void released(long fh) {
        privilegedOpens.remove(fh);
        Trigger t = triggers.remove(fh);
        if (t == null) return;
        synchronized (t) {
            if (t.fd >= 0) {
                Libc.epollDel(epfd, t.fd);
                Libc.close(t.fd);
                t.fd = -1;
                unreserve(t.container);
            }
        }
    }

    private void waitForEvents() {
        try (Arena arena = Arena.ofConfined()) {
            int max = 64;
            MemorySegment events = arena.allocate((long) max * Libc.EPOLL_EVENT_SIZE, 8);
            while (!closed) {
                int n = Libc.epollWait(epfd, events, max, -1);
                if (n == -Errno.EINTR) continue;
                if (n < 0) {
                    LOG.log(System.Logger.Level.ERROR, "epoll_wait on the PSI triggers failed: " + Errno.describe(-n)
                            + "; no more trigger events are delivered");
                    return;
                }
                for (int i = 0; i < n; i++) {
                    long at = (long) i * Libc.EPOLL_EVENT_SIZE;
                    int ev = events.get(JAVA_INT_UNALIGNED, at);
                    long fh = events.get(JAVA_LONG_UNALIGNED, at + 4);
                    if (fh != 0) event(fh, ev);
                }
            }
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.ERROR, "the PSI trigger thread died; no more trigger events are delivered", e);
        }
    }

    private void event(long fh, int ev) {
        Trigger t = triggers.get(fh);
        if (t == null) return;
        long kh;
        synchronized (t) {
            if (t.fd < 0) return;
            if ((ev & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
                // the cgroup was removed: its file answers POLLERR for good; stop watching, tell the poller
                LOG.log(System.Logger.Level.INFO, "PSI trigger " + t.describe + " ended: its cgroup is gone");
                Libc.epollDel(epfd, t.fd);
                Libc.close(t.fd);
                t.fd = -1;
                t.gone = true;
                unreserve(t.container);
            } else if ((ev & Libc.EPOLLPRI) != 0) {
                t.pending = true;
            } else {
                return;
            }
            kh = t.kh;
        }
        int fd = fuseFd;
        if (kh != 0 && fd >= 0) {
            int r = PollNotification.send(fd, kh);
            // ENOENT: no poller waits on it now; the next POLL finds the event pending
            if (r < 0 && r != -Errno.ENOENT) LOG.log(System.Logger.Level.DEBUG, () -> "FUSE_NOTIFY_POLL: " + Errno.describe(-r));
        }
    }

    @Override
    public void close() {
        closed = true;
        Libc.signalEventfd(stopFd);
        try {
            waiter.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Long fh : triggers.keySet()) released(fh);
        Libc.close(epfd);
        Libc.close(stopFd);
        if (ownFuseFd) Libc.close(fuseFd);
    }
}
