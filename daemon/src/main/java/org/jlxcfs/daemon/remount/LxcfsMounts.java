package org.jlxcfs.daemon.remount;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.LibcException;
import org.jlxcfs.fuse.MountTable;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The LXCFS mounts a node moves away from ({@code --remount-lxcfs}): which devices were mounted
 * there (recorded next to the keeper, since a stopped LXCFS leaves nothing at its mount point to
 * ask), and, with {@code --replace}, a dead one detached from jlxcfs's own mount point. A live
 * LXCFS is never touched.
 */
public final class LxcfsMounts {
    private static final System.Logger LOG = System.getLogger("jlxcfs.remount");
    /** statfs goes to the mount's server: an LXCFS that is alive but hung must not hang the daemon's start. */
    private static final Duration STATFS_TIMEOUT = Duration.ofSeconds(5);

    private static final int TIMED_OUT = Integer.MIN_VALUE;

    private LxcfsMounts() {}

    /** The file listing the devices of the LXCFS mounts seen at {@code lxcfsMount}, next to the keeper. */
    public static Path historyFile(Path stateDir, Path lxcfsMount) {
        return stateDir.resolve("lxcfs-devices" + lxcfsMount.toAbsolutePath().normalize().toString().replace('/', '_'));
    }

    /** Records the device of the fuse.lxcfs mount at {@code lxcfsMount}, if there is one (live or dead). */
    public static void record(Path stateDir, Path lxcfsMount) throws IOException {
        Optional<MountTable.Mount> m = MountTable.at(lxcfsMount).filter(x -> x.fsType().equals("fuse.lxcfs"));
        if (m.isPresent()) RemountAgent.remember(historyFile(stateDir, lxcfsMount), m.get().device());
    }

    /** Every device recorded for these LXCFS mount points (empty when none was ever seen there). */
    public static Set<String> devices(Path stateDir, List<Path> lxcfsMounts) throws IOException {
        Set<String> all = new HashSet<>();
        for (Path p : lxcfsMounts) all.addAll(RemountAgent.readHistory(historyFile(stateDir, p)));
        return all;
    }

    /**
     * Detaches the fuse.lxcfs mount at {@code mountPoint} if it is dead (its server gone: ENOTCONN
     * or ECONNABORTED); a live or unanswering one stays, and mounting there is then refused.
     * Returns whether one was detached.
     */
    public static boolean detachIfDead(Path mountPoint) throws IOException {
        Optional<MountTable.Mount> m = MountTable.at(mountPoint).filter(x -> x.fsType().equals("fuse.lxcfs"));
        if (m.isEmpty()) return false;
        int r = statfsWithin(mountPoint.toString(), STATFS_TIMEOUT);
        if (r != -Errno.ENOTCONN && r != -Errno.ECONNABORTED) {
            LOG.log(System.Logger.Level.INFO, mountPoint + " holds a " + (r == 0 ? "live" : r == TIMED_OUT ? "not answering" : "failing") + " fuse.lxcfs mount "
                    + "(device " + m.get().device() + "): left alone");
            return false;
        }
        int u = Libc.umount2(mountPoint.toString(), Libc.MNT_DETACH);
        if (u < 0) throw new LibcException("umount2(MNT_DETACH)", mountPoint.toString(), -u);
        LOG.log(System.Logger.Level.WARNING, "detached a dead fuse.lxcfs mount (device " + m.get().device() + ", "
                + Errno.describe(-r) + ") at " + mountPoint + " (--replace)");
        return true;
    }

    /** statfs in a thread of its own: 0, -errno, or TIMED_OUT when the server does not answer in time. */
    private static int statfsWithin(String path, Duration timeout) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("lxcfs-statfs").start(() -> f.complete(Libc.statfs(path)));
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return TIMED_OUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return TIMED_OUT;
        } catch (ExecutionException e) {
            return -Errno.EIO;
        }
    }
}
