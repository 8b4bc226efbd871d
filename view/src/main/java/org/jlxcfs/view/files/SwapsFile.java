package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code /proc/swaps} for the container: LXCFS's header, then one {@code none} device of type
 * {@code virtual} with the container's swap size and use in KiB (the same {@link SwapFigures}
 * as /proc/meminfo's SwapTotal and SwapFree) and priority 0. Header only when the container has
 * no swap: swap switched off, not accounted by the kernel, a zero swap limit, or a host without
 * swap. The host's devices are never listed.
 *
 * Fallback: the host's file verbatim when {@link ContainerMemory#read} gives nothing (no memory
 * hierarchy, the root cgroup, a vanished cgroup), as /proc/meminfo then shows the host's swap.
 */
public final class SwapsFile implements VirtualFile {
    static final String HEADER = "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n";

    private final Host host;
    private final ViewOptions options;

    public SwapsFile(Host host, ViewOptions options) {
        this.host = host;
        this.options = options;
    }

    @Override
    public String path() {
        return "proc/swaps";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        Optional<ContainerMemory> memory = ContainerMemory.read(container,
                ContainerMemory.parseMeminfo(host.procText("meminfo")), options.swap());
        if (memory.isEmpty()) return host.procFile("swaps");
        SwapFigures swap = memory.get().swap();
        StringBuilder out = new StringBuilder(HEADER);
        if (swap.totalKib() > 0) {
            // "none" padded to 40 columns, as LXCFS writes it
            out.append("none").append(" ".repeat(36)).append("virtual\t\t")
                    .append(swap.totalKib()).append('\t').append(swap.usedKib()).append("\t0\n");
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
