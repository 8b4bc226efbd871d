package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code sys/devices/system/cpu/{online,possible,present,offline}}: the container's CPUs as
 * 0..count-1 (cpuinfo and /proc/stat use the same ids): online, possible and present are
 * {@code 0-(count-1)} ({@code 0} for one CPU), offline is empty (a lone newline, as the kernel
 * prints it when every CPU is online).
 *
 * <p>LXCFS virtualizes only {@code online} and writes the cpuset's host ids there (e.g.
 * {@code 2-3,8}) unless its CFS view is on; {@code possible} and {@code present} stay the host's
 * (issues #627, #731), so glibc's {@code get_nprocs_conf()} and runtimes that size per-CPU arrays
 * from {@code possible} see the host.
 *
 * <p>Fallback: the container sees every online host CPU (root cpuset, no quota) → the host's file,
 * so a host with offlined CPUs keeps its true lists.
 */
public final class CpuListFile implements VirtualFile {
    /** The four lists the kernel publishes. */
    public enum Kind {
        ONLINE, POSSIBLE, PRESENT, OFFLINE;

        String fileName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Host host;
    private final ViewOptions options;
    private final Kind kind;

    public CpuListFile(Host host, ViewOptions options, Kind kind) {
        this.host = host;
        this.options = options;
        this.kind = kind;
    }

    @Override
    public String path() {
        return "sys/devices/system/cpu/" + kind.fileName();
    }

    @Override
    public byte[] render(Container container) throws IOException {
        ShownCpus shown = ShownCpus.of(container, host, options);
        if (shown.identity()) return host.sysFile("devices/system/cpu/" + kind.fileName());
        int n = shown.count();
        String list = kind == Kind.OFFLINE || n == 0 ? "" : n == 1 ? "0" : "0-" + (n - 1);
        return (list + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
