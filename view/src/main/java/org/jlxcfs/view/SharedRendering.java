package org.jlxcfs.view;

import org.jlxcfs.view.host.Recent;

import java.io.IOException;

/**
 * A file whose rendering for a container is shared, for a few milliseconds, by every reader of
 * that container ({@link Recent}): readers of a busy container (a thread pool sizing itself, a
 * monitoring agent per process) then cost a copy each instead of a parse of several kernel files
 * and a rendering. A rendering is a pure function of the {@link Container} (its cgroups and its
 * init), so readers of another container, or host processes (each described by its own cgroups),
 * never get it.
 */
public final class SharedRendering implements VirtualFile {
    /** Renderings are small (a few KiB), containers many: bounded like the kernel files' share. */
    private static final int CONTAINERS = 256;
    private static final long BYTES = 512 << 10;

    private final VirtualFile file;
    private final Recent<Container> recent;

    private SharedRendering(VirtualFile file, Recent<Container> recent) {
        this.file = file;
        this.recent = recent;
    }

    /** For tests: shared for {@code shareNanos}. */
    static SharedRendering of(VirtualFile file, long shareNanos) {
        return new SharedRendering(file, new Recent<>(shareNanos, CONTAINERS, BYTES));
    }

    public static VirtualFile of(VirtualFile file) {
        return file instanceof SharedRendering ? file : new SharedRendering(file, new Recent<>(CONTAINERS, BYTES));
    }

    @Override
    public String path() {
        return file.path();
    }

    @Override
    public int mode() {
        return file.mode();
    }

    @Override
    public byte[] render(Container container) throws IOException {
        return recent.get(container, () -> file.render(container));
    }
}
