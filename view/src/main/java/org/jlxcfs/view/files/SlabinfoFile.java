package org.jlxcfs.view.files;

import org.jlxcfs.view.host.SysFiles;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;

/**
 * {@code /proc/slabinfo} for the container: its v1 memory.kmem.slabinfo, copied verbatim, where
 * kmem accounting gives one (the file exists and is not empty; kernels since 5.9 keep the file
 * but leave it empty, as slab caches are no longer per cgroup).
 *
 * Fallback: the host's /proc/slabinfo when the cgroup gives none: v2 (no such file), no memory
 * hierarchy, the root cgroup (the host's own view), the file missing, empty or unreadable (the
 * cgroup vanished, kmem accounting off). An unreadable host file is the read's error.
 */
public final class SlabinfoFile implements VirtualFile {
    private static final String FILE = "memory.kmem.slabinfo";

    private final Host host;

    public SlabinfoFile(Host host) {
        this.host = host;
    }

    /** 0400 like the host's: slab statistics help kernel heap exploits, so only root reads them. */
    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public String path() {
        return "proc/slabinfo";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        Optional<Cgroup> memory = container.cgroups().memory();
        if (memory.isPresent() && !memory.get().isRoot() && !memory.get().hierarchy().v2()) {
            byte[] own = readOrEmpty(memory.get());
            if (own.length > 0) return own;
        }
        return host.procFile("slabinfo");
    }

    private static byte[] readOrEmpty(Cgroup cg) {
        try {
            return SysFiles.readBytes(cg.directory().resolve(FILE));
        } catch (IOException e) {
            // missing (no kmem accounting, cgroup gone) or refused (EIO when kmem is inactive on old
            // kernels): the documented fallback is the host's file
            return new byte[0];
        }
    }
}
