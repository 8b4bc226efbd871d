package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.RateLimitedLog;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.jlxcfs.daemon.psi.PressureTriggerFile;
import org.jlxcfs.daemon.psi.PsiTriggers;
import org.jlxcfs.view.files.PressureFile;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.SharedRendering;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;

import java.util.List;

/**
 * Binds the views to FUSE: every file of the tree renders its view for the container of the
 * process reading it. A reader that vanished gets ESRCH; a view that fails gets EIO for that
 * read only, and the daemon goes on serving everyone else.
 */
final class ViewTree {
    private static final System.Logger LOG = System.getLogger("jlxcfs");

    private ViewTree() {}

    static VirtualTree build(List<VirtualFile> files, ContainerResolver resolver) {
        return build(files, resolver, null, null);
    }

    /**
     * @param host    with {@code options}: mirror the host's sys/devices/system/cpu, showing each
     *                reader only its own cpuN directories (null: just the files)
     */
    static VirtualTree build(List<VirtualFile> files, ContainerResolver resolver, Host host, ViewOptions options) {
        return build(files, resolver, host, options, null);
    }

    /**
     * @param triggers with them, /proc/pressure/* take PSI triggers (mode 0666, as the kernel's
     *                 files are); null: read-only like every other file
     */
    static VirtualTree build(List<VirtualFile> files, ContainerResolver resolver, Host host, ViewOptions options,
                             PsiTriggers triggers) {
        VirtualTree.Builder b = VirtualTree.builder().dir("proc").dir("sys/devices/system/cpu");
        if (host != null) {
            b.mirror("sys/devices/system/cpu", host.sys().resolve("devices/system/cpu"),
                    new CpuDirectoryFilter(resolver, host, options));
        }
        for (VirtualFile file : files) {
            VirtualFile f = SharedRendering.of(file);
            RateLimitedLog failures = new RateLimitedLog(LOG, 60);
            Content.Rendered rendering = caller -> {
                try {
                    return f.render(resolver.resolve(caller.pid()));
                } catch (ProcessInfo.GoneException e) {
                    throw FuseError.of(Errno.ESRCH);
                } catch (Throwable e) {
                    // any failure of a view, an Error too, is this read's alone
                    failures.log(f.path() + " for pid " + caller.pid() + " failed, answered EIO", e);
                    throw FuseError.of(Errno.EIO);
                }
            };
            if (triggers != null && file instanceof PressureFile p) {
                b.file(f.path(), 0666, new PressureTriggerFile(rendering, p, resolver, triggers));
            } else {
                b.file(f.path(), f.mode(), Content.rendered(rendering));
            }
        }
        return b.cacheFor(java.time.Duration.ofSeconds(1)).build();
    }
}
