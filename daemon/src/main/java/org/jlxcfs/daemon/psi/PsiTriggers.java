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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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
    /** Set by {@link #start}, before the daemon serves. */
    private int epfd = -1, stopFd = -1;
    private Thread waiter;
    private volatile PsiTable table;
    private volatile TriggerStore store = TriggerStore.NONE;
    /**
     * Handles this process opened: one without a trigger here has none in the table either, so
     * only another daemon's handles (a graceful overlap) are looked up there, by a scan of the
     * table. Every reader's RELEASE and POLL of a pressure file passes here.
     */
    private volatile java.util.function.LongPredicate ownHandles = fh -> false;
    private final AtomicBoolean keepRefused = new AtomicBoolean();
    private volatile int fuseFd = -1;
    /** Whether {@link #fuseFd} is our clone (closed with us) rather than the session's own. */
    private volatile boolean ownFuseFd;
    private volatile boolean closed;

    /** One trigger this process watches: its kernel fd, its slot in the shared table, the container it counts against. */
    private static final class Trigger {
        final long fh;
        int fd = -1, slot = -1;
        String container;
        String describe;
        /** A copy is kept with the connection (keeper or fd store): it survives us. */
        boolean kept;
        boolean gone;

        Trigger(long fh) {
            this.fh = fh;
        }
    }

    /** Nothing native yet: {@link #start} before serving (the tree is built meanwhile, see there). */
    public PsiTriggers(Path proc, int perContainer, int total) {
        this.proc = proc;
        this.perContainer = perContainer;
        this.total = total;
    }

    /**
     * The table, the epoll set and its thread. Apart from the constructor because these are a
     * starting daemon's first system calls: they wait for the downcall being linked on another
     * thread (NativeWarmup), and the tree can be built meanwhile.
     */
    public void start() throws IOException {
        this.table = PsiTable.create(total);
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
        // events that came while no daemon watched (or before we could notify): their pollers may be waiting
        for (Trigger t : triggers.values()) {
            PsiTable tab = table;
            if (t.slot >= 0 && tab.pending(t.slot)) notifyPoller(tab.kh(t.slot));
        }
    }

    /**
     * Keeps triggers with the connection from now on, in {@code store}, and takes over those a
     * previous daemon left there (before any request is served, so their POLLs find them). On a
     * fresh connection whatever the store still had belongs to a dead one and is freed.
     * {@code predecessorGone}: no other daemon serves the connection now, so a table slot whose fd
     * the store no longer has is stale (with a predecessor still running it may be one being created).
     */
    public void keepWith(TriggerStore store, boolean freshConnection, boolean predecessorGone) {
        this.store = store;
        Map<String, Integer> held;
        try {
            held = new HashMap<>(store.held());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot get the PSI triggers kept with the connection: " + e.getMessage()
                    + "; those of the previous daemon end");
            held = new HashMap<>();
        }
        Integer passedTable = held.remove(TriggerStore.TABLE);
        if (freshConnection) {
            if (passedTable != null) Libc.close(passedTable);
            dropKept(held);
        } else if (passedTable != null) {
            Optional<PsiTable> adopted = PsiTable.adopt(passedTable);
            if (adopted.isPresent()) {
                table.close();
                table = adopted.get();
            }
        }
        if (passedTable == null || freshConnection || table.fd() != passedTable) {
            try {
                if (store != TriggerStore.NONE) store.hold(TriggerStore.TABLE, table.fd());
            } catch (IOException e) {
                refusedOnce("the PSI trigger table", e);
            }
            if (!held.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, held.size() + " PSI trigger fds were kept without a usable table; dropping them");
                dropKept(held);
            }
        }
        adopt(held, predecessorGone);
    }

    /** Closes our copies of kept fds and frees them where they are kept. */
    private void dropKept(Map<String, Integer> kept) {
        kept.forEach((name, fd) -> {
            Libc.close(fd);
            freeKept(name);
        });
        kept.clear();
    }

    /**
     * Once the daemon we took over from has exited: closes our copies of triggers it released
     * meanwhile, takes over those it created meanwhile, and frees slots nobody holds.
     */
    public void predecessorExited() {
        try {
            adopt(new HashMap<>(store.held()), true);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot get the PSI triggers kept with the connection after the previous "
                    + "daemon exited: " + e.getMessage());
        }
    }

    /** After the keeper lost everything (it was restarted): every trigger and the table are handed to it again. */
    public void keepAllAgain() {
        try {
            store.hold(TriggerStore.TABLE, table.fd());
        } catch (IOException e) {
            refusedOnce("the PSI trigger table", e);
            return;
        }
        for (Trigger t : triggers.values()) {
            synchronized (t) {
                if (t.fd >= 0) t.kept = keep(t.fh, t.fd, t.describe);
            }
        }
    }

    private synchronized void adopt(Map<String, Integer> held, boolean predecessorGone) {
        PsiTable tab = table;
        int closed = 0, adopted = 0, freed = 0;
        for (Trigger t : triggers.values()) {
            synchronized (t) {
                if (t.slot >= 0 && tab.fh(t.slot) != t.fh && triggers.remove(t.fh, t)) {
                    closeLocal(t); // released through the other daemon
                    closed++;
                }
            }
        }
        Set<Long> known = new HashSet<>();
        for (var e : held.entrySet()) {
            long fh = TriggerStore.fhOf(e.getKey());
            int slot = tab.find(fh);
            known.add(fh);
            if (fh == 0 || triggers.containsKey(fh) || slot < 0) {
                Libc.close(e.getValue());
                if (fh != 0 && slot < 0) {
                    freeKept(e.getKey());
                    freed++;
                }
                continue;
            }
            Trigger t = new Trigger(fh);
            t.fd = e.getValue();
            t.slot = slot;
            t.kept = true;
            t.container = containerOf(t.fd);
            t.describe = tab.text(slot) + " (of an earlier daemon)";
            counts.computeIfAbsent(t.container, k -> new AtomicInteger()).incrementAndGet();
            this.held.incrementAndGet();
            triggers.put(fh, t);
            int r = Libc.epollAdd(epfd, t.fd, Libc.EPOLLPRI, fh);
            if (r < 0) LOG.log(System.Logger.Level.WARNING, "epoll_ctl for " + t.describe + ": " + Errno.describe(-r));
            adopted++;
        }
        if (predecessorGone) {
            for (int i = 0; i < tab.slots(); i++) {
                long fh = tab.fh(i);
                if (fh != 0 && !known.contains(fh) && !triggers.containsKey(fh)) {
                    tab.free(i, fh);
                    freed++;
                }
            }
        }
        if (adopted + closed + freed > 0) {
            LOG.log(System.Logger.Level.INFO, "PSI triggers from the previous daemon: " + adopted + " taken over, " + closed
                    + " released meanwhile, " + freed + " stale freed (" + this.held.get() + " held)");
        }
    }

    /** The container a kept trigger counts against: its pressure file's cgroup, as {@link PressureTriggerFile} counts. */
    private static String containerOf(int fd) {
        try {
            Path file = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
            return file.getFileName().toString().endsWith(".pressure") ? file.getParent().toString() : PressureTriggerFile.HOST;
        } catch (IOException e) {
            return PressureTriggerFile.HOST;
        }
    }

    /**
     * After a handover: triggers kept with the connection go on with the next daemon (nothing to
     * do). Those that could not be kept die with us; the successor does not know them (it answers
     * their POLL with POLLERR|POLLPRI, the kernel's "no trigger"), so their waiting pollers are
     * woken to learn it now instead of waiting for an event nobody will deliver.
     */
    public void wakePollersAfterHandover() {
        int fd = fuseFd, woken = 0, lost = 0;
        if (fd < 0) return;
        for (Trigger t : triggers.values()) {
            long kh;
            synchronized (t) {
                if (t.kept || t.slot < 0) continue;
                lost++;
                kh = table.kh(t.slot);
            }
            if (kh != 0 && PollNotification.send(fd, kh) == 0) woken++;
        }
        int kept = triggers.size() - lost;
        if (!triggers.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, kept + " PSI triggers go on with the next daemon"
                    + (lost > 0 ? "; " + lost + " could not be kept and end with this process (" + woken
                    + " pollers woken to learn it from the next daemon)" : ""));
        }
    }

    /** Tells which handles this process opened (its tree's), so theirs need no table scan. */
    public void ownHandles(java.util.function.LongPredicate owns) {
        this.ownHandles = owns;
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
     * file), counted against {@code container}. EBUSY if the handle has one already. Answers only
     * once a copy of its fd is kept with the connection (or that was refused: then it works but
     * ends with this process).
     */
    int create(long fh, byte[] written, Path source, String container) throws FuseError {
        Trigger t = new Trigger(fh);
        // claimed first, so that of two writes racing on one handle exactly one goes on
        if (triggers.putIfAbsent(fh, t) != null) throw FuseError.of(Errno.EBUSY);
        boolean done = false;
        PsiTable tab = table;
        int slot = -1;
        try {
            TriggerRequest request = TriggerRequest.parse(written, privilegedOpens.contains(fh));
            reserve(container, request, source);
            try {
                slot = tab.claim(fh, request.toString());
                if (slot < 0) {
                    refusals.log("PSI trigger " + request + " on " + source + " refused ENOSPC: the shared trigger table is full",
                            null);
                    throw FuseError.of(Errno.ENOSPC);
                }
                int fd = openTrigger(source, request);
                synchronized (t) {
                    t.fd = fd;
                    t.slot = slot;
                    t.container = container;
                    t.describe = request + " on " + source;
                }
                int r = Libc.epollAdd(epfd, fd, Libc.EPOLLPRI, fh);
                if (r < 0) {
                    Libc.close(fd);
                    throw FuseError.of(Errno.ENOMEM, "epoll_ctl for the trigger on " + source + ": " + Errno.describe(-r));
                }
                boolean kept = keep(fh, fd, t.describe);
                synchronized (t) {
                    t.kept = kept;
                }
                done = true;
                LOG.log(System.Logger.Level.DEBUG, () -> "PSI trigger " + request + " on " + source + " (" + held.get() + " held)");
                return written.length;
            } finally {
                if (!done) {
                    unreserve(container);
                    if (slot >= 0) tab.free(slot, fh);
                }
            }
        } finally {
            if (!done) triggers.remove(fh, t);
        }
    }

    /** Hands a copy of a trigger's fd to the store; false (logged once) when it cannot be kept. */
    private boolean keep(long fh, int fd, String describe) {
        if (store == TriggerStore.NONE) return false; // --no-keeper: chosen, nothing to say
        try {
            store.hold(TriggerStore.name(fh), fd);
            return true;
        } catch (IOException e) {
            refusedOnce("PSI trigger " + describe, e);
            return false;
        }
    }

    private void refusedOnce(String what, IOException e) {
        if (keepRefused.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, what + " is not kept with the connection (" + e.getMessage()
                    + "): it works, but ends with this process (logged once)");
        }
    }

    private void freeKept(String name) {
        try {
            store.free(name);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "freeing " + name + ": " + e.getMessage());
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

    /**
     * A POLL of the handle {@code fh}: reports and consumes a pending event, else remembers {@code kh}.
     * A handle this process does not watch may be one the other daemon of a graceful overlap
     * created: the shared table answers for it.
     */
    int poll(long fh, long kh) {
        PsiTable tab = table;
        Trigger t = triggers.get(fh);
        int slot;
        if (t == null) {
            if (ownHandles.test(fh)) return NO_TRIGGER;
            slot = tab.find(fh);
            if (slot < 0) return NO_TRIGGER;
        } else {
            synchronized (t) {
                if (t.gone || t.slot < 0) return NO_TRIGGER; // gone, or still being created
                slot = t.slot;
            }
        }
        // kh first, then the pending bit: an event recorded meanwhile is either seen here or notified with this kh
        if (kh != 0) tab.setKh(slot, fh, kh);
        if (tab.gone(slot)) return NO_TRIGGER;
        return tab.takePending(slot, fh) ? VirtualTree.DEFAULT_POLLMASK | POLLPRI : VirtualTree.DEFAULT_POLLMASK;
    }

    /** The handle is gone: its trigger (if any) is destroyed with its fd and every copy of it. */
    void released(long fh) {
        privilegedOpens.remove(fh);
        PsiTable tab = table;
        Trigger t = triggers.remove(fh);
        if (t == null) {
            if (ownHandles.test(fh)) return;
            // created by the other daemon of a graceful overlap: its copies go with the slot
            int slot = tab.find(fh);
            if (slot >= 0) {
                tab.free(slot, fh);
                freeKept(TriggerStore.name(fh));
            }
            return;
        }
        boolean kept;
        synchronized (t) {
            closeLocal(t);
            if (t.slot >= 0) tab.free(t.slot, fh);
            kept = t.kept;
        }
        if (kept) freeKept(TriggerStore.name(fh));
    }

    /** Stops watching a trigger and closes this process's fd of it (copies elsewhere stay). */
    private void closeLocal(Trigger t) {
        if (t.fd >= 0) {
            Libc.epollDel(epfd, t.fd);
            Libc.close(t.fd);
            t.fd = -1;
            unreserve(t.container);
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
        PsiTable tab = table;
        int slot;
        synchronized (t) {
            if (t.fd < 0 || t.slot < 0) return;
            slot = t.slot;
            if ((ev & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
                // the cgroup was removed: its file answers POLLERR for good; stop watching, tell the poller
                LOG.log(System.Logger.Level.INFO, "PSI trigger " + t.describe + " ended: its cgroup is gone");
                tab.markGone(slot, fh);
                closeLocal(t);
                t.gone = true;
            } else if ((ev & Libc.EPOLLPRI) != 0) {
                // the kernel consumed the event as it reported it: recorded in the shared table before anything else
                tab.markPending(slot, fh);
            } else {
                return;
            }
        }
        notifyPoller(tab.kh(slot));
    }

    private void notifyPoller(long kh) {
        int fd = fuseFd;
        if (kh != 0 && fd >= 0) {
            int r = PollNotification.send(fd, kh);
            // ENOENT: no poller waits on it now; the next POLL finds the event pending
            if (r < 0 && r != -Errno.ENOENT) LOG.log(System.Logger.Level.DEBUG, () -> "FUSE_NOTIFY_POLL: " + Errno.describe(-r));
        }
    }

    /**
     * This process's copies are closed; the shared table and the copies kept with the connection
     * are left alone (a successor serves them, or the connection ends and takes them along).
     */
    @Override
    public void close() {
        closed = true;
        if (waiter != null) {
            Libc.signalEventfd(stopFd);
            try {
                waiter.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Trigger t : triggers.values()) {
            synchronized (t) {
                closeLocal(t);
            }
        }
        triggers.clear();
        // a start that failed half-way leaves some of these open, a daemon that never started none
        if (epfd >= 0) Libc.close(epfd);
        if (stopFd >= 0) Libc.close(stopFd);
        if (ownFuseFd) Libc.close(fuseFd);
        if (table != null && (waiter == null || !waiter.isAlive())) table.close();
    }
}
