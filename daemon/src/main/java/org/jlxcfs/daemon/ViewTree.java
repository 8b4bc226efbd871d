package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Binds the views to FUSE: every file of the tree renders its view for the container of the
 * process reading it. A reader that vanished gets ESRCH; a view that fails gets EIO for that
 * read only, and the daemon goes on serving everyone else.
 */
final class ViewTree {
    private static final System.Logger LOG = System.getLogger("jlxcfs");
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private ViewTree() {}

    static VirtualTree build(List<VirtualFile> files, ContainerResolver resolver) {
        return build(files, resolver, null, null);
    }

    /**
     * @param host    with {@code options}: mirror the host's sys/devices/system/cpu, showing each
     *                reader only its own cpuN directories (null: just the files)
     */
    static VirtualTree build(List<VirtualFile> files, ContainerResolver resolver, Host host, ViewOptions options) {
        VirtualTree.Builder b = VirtualTree.builder().dir("proc").dir("sys/devices/system/cpu");
        if (host != null) {
            b.mirror("sys/devices/system/cpu", host.sys().resolve("devices/system/cpu"),
                    new CpuDirectoryFilter(resolver, host, options));
        }
        for (VirtualFile f : files) {
            FailureLog failures = new FailureLog(f.path());
            b.file(f.path(), Content.rendered(caller -> {
                try {
                    return f.render(resolver.resolve(caller.pid()));
                } catch (ProcessInfo.GoneException e) {
                    throw FuseError.of(Errno.ESRCH);
                } catch (IOException | RuntimeException e) {
                    failures.log(caller.pid(), e);
                    throw FuseError.of(Errno.EIO);
                }
            }));
        }
        return b.cacheFor(java.time.Duration.ofSeconds(1)).build();
    }

    /** Logs a file's failures at most once a minute, with how many were not logged. */
    private static final class FailureLog {
        private final String path;
        private final AtomicLong last = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
        private final AtomicLong suppressed = new AtomicLong();

        FailureLog(String path) {
            this.path = path;
        }

        void log(int pid, Exception e) {
            long now = System.nanoTime(), then = last.get();
            if (now - then < LOG_EVERY_NANOS || !last.compareAndSet(then, now)) {
                suppressed.incrementAndGet();
                return;
            }
            long more = suppressed.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, path + " for pid " + pid + " failed, answered EIO: " + e.getMessage()
                    + (more > 0 ? " (" + more + " more failures of this file in the last minute)" : ""),
                    e instanceof RuntimeException ? e : null);
        }
    }

}
