package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.view.Container;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.files.PressureFile;
import org.jlxcfs.view.host.ProcessInfo;

import java.io.IOException;
import java.nio.file.Path;

/**
 * /proc/pressure/&lt;resource&gt; with triggers: read as {@code rendering} renders it; a write creates
 * a trigger on the writer's container's pressure file ({@link PressureFile#source}), one per
 * handle; poll reports its events (see {@link PsiTriggers}).
 */
public final class PressureTriggerFile implements Content.Pollable {
    /** What host processes' triggers count against. */
    static final String HOST = "the host's root cgroup";

    private final Content.Rendered rendering;
    private final PressureFile file;
    private final ContainerResolver resolver;
    private final PsiTriggers triggers;

    public PressureTriggerFile(Content.Rendered rendering, PressureFile file, ContainerResolver resolver, PsiTriggers triggers) {
        this.rendering = rendering;
        this.file = file;
        this.resolver = resolver;
        this.triggers = triggers;
    }

    @Override
    public byte[] render(Caller caller) throws FuseError {
        return rendering.render(caller);
    }

    @Override
    public void opened(Caller caller, long fh, int flags) {
        // the kernel judges privilege by the opener's credentials, so it is taken now
        if ((flags & Libc.O_ACCMODE) != Libc.O_RDONLY) triggers.opened(caller.pid(), fh);
    }

    @Override
    public int write(Caller caller, long fh, long offset, byte[] data) throws FuseError {
        Container container;
        Path source;
        try {
            container = resolver.resolve(caller.pid());
            source = file.source(container);
        } catch (ProcessInfo.GoneException e) {
            throw FuseError.of(Errno.ESRCH);
        } catch (IOException e) {
            throw FuseError.of(Errno.EIO, "finding the pressure file of pid " + caller.pid() + ": " + e.getMessage());
        }
        // counted per kernel cgroup: every process of a container shares its bound
        String owner = source.getFileName().toString().endsWith(".pressure") ? source.getParent().toString()
                : HOST;
        return triggers.create(fh, data, source, owner);
    }

    @Override
    public int poll(long fh, long kh, boolean scheduleNotify, int events) {
        return triggers.poll(fh, kh);
    }

    @Override
    public void released(long fh) {
        triggers.released(fh);
    }
}
