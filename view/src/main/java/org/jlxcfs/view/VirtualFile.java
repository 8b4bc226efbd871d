package org.jlxcfs.view;

import java.io.IOException;

/**
 * One file of the tree, rendered for the container of whoever reads it. Implementations are
 * small pure classes (inputs: the container's cgroups and the host's files); a failure they
 * cannot answer with a documented fallback is thrown and becomes EIO for that read only.
 */
public interface VirtualFile {
    /** The path under the mount point, e.g. {@code proc/meminfo}. */
    String path();

    /**
     * Permission bits, as the host's file has them (the owner is always root): files the kernel
     * keeps from non-root users stay theirs alone.
     */
    default int mode() {
        return 0444;
    }

    byte[] render(Container container) throws IOException;
}
