package org.jlxcfs.view.files;

import org.jlxcfs.view.host.SysFiles;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * /proc/pressure/{cpu,memory,io} of the container: its cgroup's PSI file ({@code cpu.pressure},
 * {@code memory.pressure}, {@code io.pressure}) copied verbatim. PSI lives in the unified
 * hierarchy only, and in every cgroup there whatever controllers are enabled, so the file comes
 * from the container's unified cgroup on v2 and on hybrid hosts alike, io included.
 *
 * <p>Host /proc/pressure/&lt;resource&gt; when: there is no unified hierarchy (pure v1), the
 * container is in the root cgroup, or its cgroup has no such file (PSI off for it:
 * cgroup.pressure 0, or the cgroup vanished). When the host has no PSI either, the read fails
 * naming the missing host file.
 */
public final class PressureFile implements VirtualFile {
    private static final Set<String> RESOURCES = Set.of("cpu", "memory", "io");

    private final Host host;
    private final String resource;

    /** @param resource "cpu", "memory" or "io" */
    public PressureFile(Host host, String resource) {
        if (!RESOURCES.contains(resource)) throw new IllegalArgumentException("no pressure file for '" + resource + "'");
        this.host = host;
        this.resource = resource;
    }

    @Override
    public String path() {
        return "proc/pressure/" + resource;
    }

    public String resource() {
        return resource;
    }

    @Override
    public byte[] render(Container container) throws IOException {
        Path file = source(container);
        try {
            return SysFiles.readBytes(file);
        } catch (IOException e) {
            throw new IOException("reading " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The kernel file this view copies for {@code container}, and on which a PSI trigger written
     * to it is created: the container's unified cgroup's {@code <resource>.pressure}, or the host's
     * /proc/pressure/&lt;resource&gt; (see the class comment for when).
     */
    public Path source(Container container) throws IOException {
        Optional<Cgroup> unified = container.cgroups().unified();
        if (unified.isPresent() && !unified.get().isRoot()) {
            Path file = unified.get().directory().resolve(resource + ".pressure");
            // no such file: no PSI for this cgroup, the host's below
            if (SysFiles.exists(file)) return file;
        }
        return host.proc().resolve("pressure/" + resource);
    }
}
