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

    private FuseSession(Path mountPoint, FuseConfig config, int masterFd, int stopFd) {
        this.mountPoint = mountPoint;
        this.config = config;
        this.masterFd = masterFd;
        this.stopFd = stopFd;
        this.ended = new CountDownLatch(config.threads());
    }

    /**
     * Mounts {@code fs} at {@code mountPoint} and starts serving it.
     *
     * @param replace lazily unmount a jlxcfs mount (live or dead) already at the mount point,
     *                instead of refusing; mounts of any other type are always refused
     * @throws MountPointException when the mount point is unusable, with what to do about it
     */
    public static FuseSession mount(Path mountPoint, FuseFileSystem fs, FuseConfig config, boolean replace)
            throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        prepareMountPoint(target, config, replace);
        int master = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
        int stop = -1;
        try {
            String data = "fd=" + master + ",rootmode=40000,user_id=" + Libc.getuid() + ",group_id=" + Libc.getgid()
                    + (config.allowOther() ? ",allow_other" : "");
            Libc.mount(config.fsName(), target.toString(), "fuse." + config.subtype(),
                    Libc.MS_NOSUID | Libc.MS_NODEV, data);
            stop = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            FuseSession session = new FuseSession(target, config, master, stop);
            MountTable.at(target).ifPresent(m -> {
                session.mountId = m.id();
                session.device = m.device();
            });
            session.start(fs);
            LOG.log(System.Logger.Level.INFO, "mounted " + config.fsName() + " at " + target + " with "
                    + config.threads() + " worker threads");
            return session;
        } catch (IOException | RuntimeException e) {
            Libc.umount2(target.toString(), Libc.MNT_DETACH);
            Libc.close(master);
            if (stop >= 0) Libc.close(stop);
            throw e;
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

    /**
     * Serves a connection another process mounted and initialised (a takeover): no mount, no
     * INIT. Workers read fresh clones of {@code masterFd}; with {@code resend}, the kernel is
     * asked to queue again every request a dead predecessor had read but not answered.
     *
     * @param masterFd the connection's /dev/fuse fd (this session closes its copy when it ends)
     * @param state    what the predecessor agreed in INIT
     */
    public static FuseSession adopt(Path mountPoint, FuseFileSystem fs, FuseConfig config, int masterFd,
                                    InitState state, boolean resend) throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        int stop = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        FuseSession session = new FuseSession(target, config, masterFd, stop);
        session.init.set(state);
        session.mountId = MountTable.at(target).map(MountTable.Mount::id).orElse(-1);
        try {
            session.start(fs);
        } catch (IOException | RuntimeException e) {
            session.workerFds.forEach(Libc::close);
            Libc.close(stop);
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
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment notify = a.allocate(16, 8);
            notify.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 16);
            notify.set(java.lang.foreign.ValueLayout.JAVA_INT, 4, NOTIFY_RESEND);
            notify.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 0L);
            long w = Libc.write(masterFd, notify, 16);
            if (w != 16) LOG.log(System.Logger.Level.WARNING, "FUSE_NOTIFY_RESEND failed: " + Errno.describe((int) -w));
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

    private void start(FuseFileSystem fs) throws IOException {
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
        threads.forEach(Thread::start);
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

    void workerExited(Worker w) {
        if (w.exit == Worker.Exit.CONNECTION_ENDED) connectionEnded = true;
        ended.countDown();
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
            if (top.isEmpty() || top.get().id() != mountId) {
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
