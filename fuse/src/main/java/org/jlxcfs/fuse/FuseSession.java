package org.jlxcfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A mounted FUSE connection and the worker threads that serve it.
 *
 * <p>The session holds the master /dev/fuse fd (the one named in the mount options) and one
 * cloned fd per worker. Workers read only their clones, so a request is always answered on the
 * fd it came from. {@link #close()} stops reading, lets in-flight replies finish, unmounts and
 * releases the fds; unmounting from outside ends the session too ({@link #awaitEnd}).
 */
public final class FuseSession implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jlxcfs.fuse");

    private final Path mountPoint;
    private final FuseConfig config;
    private final int masterFd;
    private final int stopFd;
    private final AtomicReference<InitState> init = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Integer> workerFds = new ArrayList<>();
    private final CountDownLatch ended;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Our entry in mountinfo, so close() never unmounts a mount that replaced ours. */
    private volatile int mountId = -1;
    private volatile String device = "";
    private volatile boolean stopping;
    private volatile boolean connectionEnded;
    private volatile boolean workerFailed;
    private final CountDownLatch firstEnd = new CountDownLatch(1);
    private final AtomicBoolean answered = new AtomicBoolean();

    private FuseSession(Path mountPoint, FuseConfig config, int masterFd, int stopFd) {
        this.mountPoint = mountPoint;
        this.config = config;
        this.masterFd = masterFd;
        this.stopFd = stopFd;
        this.ended = new CountDownLatch(config.threads());
    }

    /**
     * Runs once the session's fds exist (and, for a fresh mount, INIT is answered) and before any
     * worker reads a request: the moment to hand the fds to a keeper, so that a crash at any later
     * instant leaves every request this process reads in fds someone else still holds.
     */
    @FunctionalInterface
    public interface BeforeServing {
        void run(FuseSession session) throws IOException;
    }

    /** Mounts {@code fs} at {@code mountPoint} and starts serving it. */
    public static FuseSession mount(Path mountPoint, FuseFileSystem fs, FuseConfig config, boolean replace)
            throws IOException {
        return mount(mountPoint, fs, config, replace, s -> { });
    }

    /**
     * Mounts {@code fs} at {@code mountPoint}, answers INIT on the calling thread, runs
     * {@code before} and then starts the workers. On any failure the mount is detached and every fd
     * closed.
     *
     * @param replace lazily unmount a jlxcfs mount (live or dead) already at the mount point,
     *                instead of refusing; mounts of any other type are always refused
     * @throws MountPointException when the mount point is unusable, with what to do about it
     */
    public static FuseSession mount(Path mountPoint, FuseFileSystem fs, FuseConfig config, boolean replace,
                                    BeforeServing before) throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        prepareMountPoint(target, config, replace);
        int master = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
        int stop = -1;
        boolean mounted = false;
        FuseSession session = null;
        try {
            String data = "fd=" + master + ",rootmode=40000,user_id=" + Libc.getuid() + ",group_id=" + Libc.getgid()
                    + (config.allowOther() ? ",allow_other" : "");
            Libc.mount(config.fsName(), target.toString(), "fuse." + config.subtype(),
                    Libc.MS_NOSUID | Libc.MS_NODEV, data);
            mounted = true;
            stop = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            session = new FuseSession(target, config, master, stop);
            FuseSession s = session;
            MountTable.at(target).ifPresent(m -> {
                s.mountId = m.id();
                s.device = m.device();
            });
            RequestHandler handler = session.prepare(fs);
            session.answerInit(handler, Duration.ofSeconds(30));
            before.run(session);
            session.threads.forEach(Thread::start);
            LOG.log(System.Logger.Level.INFO, "mounted " + config.fsName() + " at " + target + " with "
                    + config.threads() + " worker threads");
            return session;
        } catch (IOException | RuntimeException e) {
            if (mounted) Libc.umount2(target.toString(), Libc.MNT_DETACH);
            if (session != null) session.workerFds.forEach(Libc::close);
            Libc.close(master);
            if (stop >= 0) Libc.close(stop);
            throw e;
        }
    }

    /**
     * Reads and answers the kernel's INIT on the calling thread (the kernel queues nothing else
     * before it is answered), so the connection's state is known before any worker starts.
     */
    private void answerInit(RequestHandler handler, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment in = a.allocate(RequestHandler.IN_BUFFER, 4096);
            java.lang.foreign.MemorySegment out = a.allocate(RequestHandler.OUT_BUFFER, 4096);
            java.lang.foreign.MemorySegment p = a.allocate(8, 4);
            while (init.get() == null) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new IOException("the kernel sent no FUSE INIT for " + mountPoint + " within " + timeout);
                p.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, masterFd);
                p.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
                int r = Libc.poll(p, 1, (int) Math.min(left, 1000));
                if (r <= 0) continue;
                long n = Libc.read(masterFd, in, in.byteSize());
                if (n == -Errno.EINTR || n == -Errno.EAGAIN) continue;
                if (n <= 0) throw new LibcException("read", "/dev/fuse (waiting for INIT)", (int) -n);
                int length = handler.handle(in, (int) n, out);
                if (length > 0) {
                    long w = Libc.write(masterFd, out, length);
                    if (w != length) throw new LibcException("write", "/dev/fuse (INIT reply)", w < 0 ? (int) -w : Errno.EIO);
                }
            }
        }
    }

    private static void prepareMountPoint(Path target, FuseConfig config, boolean replace) throws IOException {
        Optional<MountTable.Mount> existing = MountTable.at(target);
        if (existing.isPresent()) {
            MountTable.Mount m = existing.get();
            String ours = "fuse." + config.subtype();
            if (!m.fsType().equals(ours)) {
                throw new MountPointException(target + " already has a " + m.fsType() + " mount (source " + m.source()
                        + "); jlxcfs never mounts over another filesystem: choose another mount point");
            }
            int alive = Libc.statfs(target.toString());
            String state = alive == 0 ? "a live " + ours + " mount (another daemon serves it)"
                    : "a dead " + ours + " mount (" + Errno.describe(-alive) + ")";
            if (!replace) {
                throw new MountPointException(target + " already holds " + state + "; "
                        + (alive == 0 ? "stop that daemon first, or " : "unmount it with 'umount -l " + target + "', or ")
                        + "start with --replace to detach it and mount afresh");
            }
            int r = Libc.umount2(target.toString(), Libc.MNT_DETACH);
            if (r < 0) throw new LibcException("umount2(MNT_DETACH)", target.toString(), -r);
            LOG.log(System.Logger.Level.WARNING, "detached " + state + " at " + target + " (--replace)");
        }
        if (!Files.isDirectory(target)) {
            if (Files.exists(target)) throw new MountPointException(target + " is not a directory");
            Files.createDirectories(target);
        }
    }

    /** Takes over a connection and starts serving it at once (see the other adopt). */
    public static FuseSession adopt(Path mountPoint, FuseFileSystem fs, FuseConfig config, int masterFd,
                                    InitState state, boolean resend) throws IOException {
        return adopt(mountPoint, fs, config, masterFd, state, resend, s -> { });
    }

    /**
     * Serves a connection another process mounted and initialised (a takeover): no mount, no
     * INIT. Workers read fresh clones of {@code masterFd}, started only after {@code before} ran;
     * with {@code resend}, the kernel is then asked to queue again every request a dead
     * predecessor had read but not answered.
     *
     * @param masterFd the connection's /dev/fuse fd (this session closes it when it ends, or when adopting fails)
     * @param state    what the predecessor agreed in INIT
     */
    public static FuseSession adopt(Path mountPoint, FuseFileSystem fs, FuseConfig config, int masterFd,
                                    InitState state, boolean resend, BeforeServing before) throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        int stop = -1;
        FuseSession session = null;
        try {
            stop = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            session = new FuseSession(target, config, masterFd, stop);
            session.init.set(state);
            Optional<MountTable.Mount> adopted = MountTable.at(target);
            session.mountId = adopted.map(MountTable.Mount::id).orElse(-1);
            session.device = adopted.map(MountTable.Mount::device).orElse("");
            session.prepare(fs);
            before.run(session);
            session.threads.forEach(Thread::start);
        } catch (IOException | RuntimeException e) {
            if (session != null) session.workerFds.forEach(Libc::close);
            Libc.close(masterFd);
            if (stop >= 0) Libc.close(stop);
            throw e;
        }
        if (resend) session.resend();
        LOG.log(System.Logger.Level.INFO, "took over " + target + " (" + state + ") with " + config.threads()
                + " worker threads" + (resend ? ", asked the kernel to resend unanswered requests" : ""));
        return session;
    }

    /** FUSE_NOTIFY_RESEND: requests read by a dead server go back to the queue (Linux 6.9+). */
    private void resend() {
        InitState s = init.get();
        if (s == null || !s.kernelCanResend()) {
            LOG.log(System.Logger.Level.WARNING, "the kernel cannot resend requests (no FUSE_HAS_RESEND): requests the "
                    + "previous daemon had read but not answered are lost");
            return;
        }
        int r = resend(masterFd);
        if (r < 0) LOG.log(System.Logger.Level.WARNING, "FUSE_NOTIFY_RESEND failed: " + Errno.describe(-r));
    }

    /**
     * Writes FUSE_NOTIFY_RESEND on {@code fd} (any fd of the connection): every request read on
     * any of its fds but not answered goes back to the pending queue, where a reader can be
     * killed and the next server reads it again. Only for a connection whose INIT state says
     * {@link InitState#kernelCanResend()}. Returns 0 or -errno.
     */
    public static int resend(int fd) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment notify = a.allocate(16, 8);
            notify.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 16);
            notify.set(java.lang.foreign.ValueLayout.JAVA_INT, 4, NOTIFY_RESEND);
            notify.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 0L);
            long w = Libc.write(fd, notify, 16);
            return w == 16 ? 0 : w < 0 ? (int) w : -Errno.EIO;
        }
    }

    private static final int NOTIFY_RESEND = 7;

    /** The mount's device as mountinfo shows it ("0:42"), which bind mounts of it share. */
    public String device() {
        return device;
    }

    /** Every fd of the connection this session holds: the master first, then the workers'. */
    public int[] fds() {
        int[] all = new int[workerFds.size() + 1];
        all[0] = masterFd;
        for (int i = 0; i < workerFds.size(); i++) all[i + 1] = workerFds.get(i);
        return all;
    }

    /** The connection's master /dev/fuse fd (for handing it to a keeper). */
    public int masterFd() {
        return masterFd;
    }

    /**
     * Stops serving without unmounting, for a successor that already serves the same
     * connection: stop reading, finish the requests in flight, close this process's fds.
     */
    public void handover() {
        if (!closed.compareAndSet(false, true)) return;
        stopWorkers();
        closeFds();
        LOG.log(System.Logger.Level.INFO, "handed " + mountPoint + " over; this process serves it no more");
    }

    private void closeFds() {
        workerFds.forEach(Libc::close);
        Libc.close(masterFd);
        Libc.close(stopFd);
    }

    private void stopWorkers() {
        stopping = true;
        Libc.signalEventfd(stopFd);
        try {
            if (!ended.await(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "FUSE workers did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Clones one fd per worker and makes (but does not start) the worker threads. */
    private RequestHandler prepare(FuseFileSystem fs) throws IOException {
        RequestHandler handler = new RequestHandler(fs, config, init, this::destroyed);
        Optional<List<int[]>> cpus = config.pinWorkers()
                ? WorkerPinning.assign(Libc.allowedCpus(), config.threads()) : Optional.empty();
        for (int i = 0; i < config.threads(); i++) {
            int fd = Libc.cloneFuseFd(masterFd, Libc.O_NONBLOCK);
            workerFds.add(fd);
            int[] pin = cpus.isPresent() ? cpus.get().get(i) : null;
            Thread t = Thread.ofPlatform().name("fuse-worker-" + i).unstarted(new Worker(fd, stopFd, pin, handler, this));
            threads.add(t);
        }
        return handler;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** The negotiated INIT state, once the kernel has sent INIT. */
    public Optional<InitState> initState() {
        return Optional.ofNullable(init.get());
    }

    /** Waits until the kernel has initialised the connection (it sends INIT right after mount). */
    public InitState awaitInit(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (init.get() == null) {
            if (System.nanoTime() > deadline || ended.getCount() == 0) {
                throw new IOException("the kernel sent no FUSE INIT for " + mountPoint + " within " + timeout);
            }
            Thread.sleep(2);
        }
        return init.get();
    }

    boolean stopping() {
        return stopping;
    }

    /**
     * Called by a worker after its first reply. The first answer after exec is how long readers
     * stall when a daemon is replaced or restarted after a crash, so it is logged once per process:
     * from {@code JLXCFS_EXEC_NS} (wall-clock nanoseconds, set by bin/jlxcfs just before it
     * execs java, and by the keeper when it starts a daemon again) or else from the process's
     * start time (10 ms granularity).
     */
    void replied() {
        if (!answered.compareAndSet(false, true)) return;
        long now = System.currentTimeMillis() * 1_000_000L;
        long exec = execNanos();
        if (exec > 0) LOG.log(System.Logger.Level.INFO, "first request answered " + (now - exec) / 1_000_000L + " ms after exec");
    }

    /**
     * When this process was exec'd, wall-clock nanoseconds: {@code JLXCFS_EXEC_NS} when it is this
     * process's (within 1 s of its start; a stamp inherited from an earlier exec is not), else the
     * process's start; 0 if neither is known.
     */
    public static long execNanos() {
        long start = processStartNanos();
        String env = System.getenv("JLXCFS_EXEC_NS");
        if (env == null) return start;
        try {
            long exec = Long.parseLong(env.trim());
            // inherited by a process bin/jlxcfs did not start (a keeper's child): not this exec
            return start == 0 || Math.abs(exec - start) < 1_000_000_000L ? exec : start;
        } catch (NumberFormatException e) {
            return start;
        }
    }

    /**
     * This process's start, wall-clock nanoseconds to 10 ms: its start tick (/proc/self/stat)
     * against the time since boot (/proc/uptime). The JDK's {@code startInstant} counts from
     * /proc/stat's btime, whole seconds, so it is up to a second early; 0 if unknown.
     */
    static long processStartNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name "(...)": state is field 3, starttime field 22
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[19]);
            String up = Files.readString(Path.of("/proc/uptime"));
            long upNanos = Math.round(Double.parseDouble(up.substring(0, up.indexOf(' '))) * 1e9);
            // USER_HZ, the unit of /proc's ticks, is 100 on every architecture jlxcfs runs on
            return System.currentTimeMillis() * 1_000_000L - upNanos + ticks * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    void workerExited(Worker w) {
        if (w.exit == Worker.Exit.CONNECTION_ENDED) connectionEnded = true;
        if (w.exit == Worker.Exit.FAILED && !stopping) workerFailed = true;
        firstEnd.countDown();
        ended.countDown();
    }

    /** Why serving ends. */
    public enum End {
        /** {@link #close()} or {@link #handover()} asked for it. */
        STOPPED,
        /** Unmounted or aborted from outside. */
        CONNECTION_ENDED,
        /** A worker thread died (an Error, an unexpected read failure): the process is not fit to serve. */
        WORKER_FAILED
    }

    /** Blocks until the first worker stops, and says why (the others may still run). */
    public End awaitFirstEnd() throws InterruptedException {
        firstEnd.await();
        if (workerFailed) return End.WORKER_FAILED;
        return connectionEnded && !stopping ? End.CONNECTION_ENDED : End.STOPPED;
    }

    private void destroyed() {
        connectionEnded = true;
    }

    /**
     * Blocks until every worker has stopped: after {@link #close()}, or when the connection ended
     * from outside (someone unmounted or aborted it).
     *
     * @return true if the connection ended from outside rather than by {@link #close()}
     */
    public boolean awaitEnd() throws InterruptedException {
        ended.await();
        return connectionEnded && !stopping;
    }

    /** Stops reading, lets in-flight replies finish, unmounts (lazily if busy) and releases the fds. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        stopWorkers();
        unmount();
        // Closing the last fd of the connection aborts it: any request still queued fails with
        // ENOTCONN instead of waiting for a server that is gone.
        closeFds();
        LOG.log(System.Logger.Level.INFO, "unmounted " + mountPoint);
    }

    private void unmount() {
        String target = mountPoint.toString();
        try {
            Optional<MountTable.Mount> top = MountTable.at(mountPoint);
            // mount ids are reused once a mount is freed: the device tells a later mount with our old id apart
            if (top.isEmpty() || top.get().id() != mountId || (!device.isEmpty() && !top.get().device().equals(device))) {
                LOG.log(System.Logger.Level.INFO, "our mount at " + target + " is already gone"
                        + top.map(m -> "; leaving the " + m.fsType() + " mount now there alone").orElse(""));
                return;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read /proc/self/mountinfo (" + e.getMessage()
                    + "); unmounting " + target + " anyway");
        }
        int r = Libc.umount2(target, 0);
        if (r == -Errno.EBUSY) {
            // Files are still open in the mount: detach it now, the kernel frees it when they close.
            r = Libc.umount2(target, Libc.MNT_DETACH);
            if (r == 0) LOG.log(System.Logger.Level.INFO, target + " was busy; detached it lazily");
        }
        if (r < 0 && r != -Errno.EINVAL && r != -Errno.ENOENT) {
            LOG.log(System.Logger.Level.ERROR, "unmounting " + target + " failed: " + Errno.describe(-r)
                    + "; run 'umount -l " + target + "'");
        }
    }
}
