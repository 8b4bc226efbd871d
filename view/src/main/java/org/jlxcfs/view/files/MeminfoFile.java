package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /proc/meminfo} for the container: the host's file, line order and column format kept,
 * with the lines the memory cgroup accounts for rewritten from memory.current / memory.stat (v2)
 * or memory.usage_in_bytes / memory.stat total_* (v1), in KiB:
 *
 * <ul>
 * <li>MemTotal: effective limit (tightest up to the root); unlimited or above the host's RAM → host.</li>
 * <li>MemFree: MemTotal − usage, 0 when usage is above the limit. MemAvailable: MemFree + file
 *     LRU (active_file + inactive_file; shmem is on the anon LRU, so not counted) + reclaimable
 *     slab (v2), at most MemTotal.</li>
 * <li>Buffers, SwapCached: 0. Cached: file / cache. Active, Inactive and their (anon)/(file)
 *     parts, Unevictable, Shmem, Mapped (file_mapped / mapped_file), Dirty, Writeback
 *     (file_dirty, file_writeback / dirty, writeback), AnonPages (anon / rss), AnonHugePages
 *     (anon_thp / rss_huge): the cgroup's figures.</li>
 * <li>Mlocked: no cgroup counts it; mlocked pages are a part of Unevictable, so the host's value
 *     capped at the container's Unevictable.</li>
 * <li>Slab, SReclaimable, SUnreclaim: v2 slab figures; 0 on v1 (v1 memory.stat has none).</li>
 * <li>ShmemHugePages: v2 shmem_thp, else 0; ShmemPmdMapped: 0 (no cgroup figure; as LXCFS).</li>
 * <li>v2 only, where memory.stat has the key (else the host's line): KReclaimable
 *     (slab_reclaimable), KernelStack, PageTables, SecPageTables, Percpu, FileHugePages.</li>
 * <li>SwapTotal, SwapFree: {@link SwapFigures} (0 when swap is off or not accounted).</li>
 * <li>Zswap, Zswapped: {@link ZswapFigures}, the v2 cgroup's zswap, else 0 (never the host's);
 *     shown only where the host's file has the lines.</li>
 * <li>Every other line: the host's.</li>
 * </ul>
 *
 * Fallback: the host's file verbatim when {@link ContainerMemory#read} gives nothing (no memory
 * hierarchy, the root cgroup, a vanished cgroup, or no memory controller for the cgroup).
 */
public final class MeminfoFile implements VirtualFile {
    /** The kernel's layout: label and colon padded to 16 columns, number right-aligned in 8. */
    private static final int LABEL_WIDTH = 16;
    private static final int NUMBER_WIDTH = 8;

    private final Host host;
    private final ViewOptions options;

    public MeminfoFile(Host host, ViewOptions options) {
        this.host = host;
        this.options = options;
    }

    @Override
    public String path() {
        return "proc/meminfo";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("meminfo");
        String text = new String(hostFile, StandardCharsets.UTF_8);
        Map<String, Long> hostValues = ContainerMemory.parseMeminfo(text);
        Optional<ContainerMemory> memory = ContainerMemory.read(container, hostValues, options.swap());
        if (memory.isEmpty()) return hostFile;
        Map<String, Long> values = values(memory.get(), hostValues, options.zswap());

        StringBuilder out = new StringBuilder(text.length() + 64);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) out.append('\n');
            String line = lines[i];
            int colon = line.indexOf(':');
            Long v = colon > 0 ? values.get(line.substring(0, colon)) : null;
            out.append(v == null ? line : kbLine(line.substring(0, colon), v));
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The rewritten lines, label → KiB. */
    private static Map<String, Long> values(ContainerMemory m, Map<String, Long> hostValues, boolean zswapWanted) {
        Map<String, Long> v = new LinkedHashMap<>();
        long total = m.memTotalKib();
        long free = m.memFreeKib();
        long activeAnon = m.stat("active_anon", "active_anon");
        long inactiveAnon = m.stat("inactive_anon", "inactive_anon");
        long activeFile = m.stat("active_file", "active_file");
        long inactiveFile = m.stat("inactive_file", "inactive_file");
        long shmem = m.stat("shmem", "shmem");
        long unevictable = m.stat("unevictable", "unevictable");
        long slabReclaimable = m.v2() ? m.stat("slab_reclaimable", "") : 0;
        long slabUnreclaimable = m.v2() ? m.stat("slab_unreclaimable", "") : 0;
        long slab = m.v2() && m.hasStat("slab", "") ? m.stat("slab", "") : slabReclaimable + slabUnreclaimable;
        // anon / rss count anonymous mapped pages exactly; the LRU sum minus shmem (LXCFS) also
        // counts swap cache and can go below 0, so it is only the fallback.
        long anonPages = m.hasStat("anon", "rss") ? m.stat("anon", "rss")
                : Math.max(0, activeAnon + inactiveAnon - shmem);
        SwapFigures swap = m.swap();
        ZswapFigures zswap = ZswapFigures.of(m, swap, zswapWanted);

        v.put("MemTotal", total);
        v.put("MemFree", free);
        v.put("MemAvailable", Math.min(total, free + (activeFile + inactiveFile + slabReclaimable) / 1024));
        v.put("Buffers", 0L);
        v.put("Cached", m.stat("file", "cache") / 1024);
        v.put("SwapCached", 0L);
        v.put("Active", (activeAnon + activeFile) / 1024);
        v.put("Inactive", (inactiveAnon + inactiveFile) / 1024);
        v.put("Active(anon)", activeAnon / 1024);
        v.put("Inactive(anon)", inactiveAnon / 1024);
        v.put("Active(file)", activeFile / 1024);
        v.put("Inactive(file)", inactiveFile / 1024);
        v.put("Unevictable", unevictable / 1024);
        v.put("Mlocked", Math.min(Math.max(0, hostValues.getOrDefault("Mlocked", 0L)), unevictable / 1024));
        v.put("SwapTotal", swap.totalKib());
        v.put("SwapFree", swap.freeKib());
        v.put("Zswap", zswap.zswapKib());
        v.put("Zswapped", zswap.zswappedKib());
        v.put("Dirty", m.stat("file_dirty", "dirty") / 1024);
        v.put("Writeback", m.stat("file_writeback", "writeback") / 1024);
        v.put("AnonPages", anonPages / 1024);
        v.put("Mapped", m.stat("file_mapped", "mapped_file") / 1024);
        v.put("Shmem", shmem / 1024);
        v.put("Slab", slab / 1024);
        v.put("SReclaimable", slabReclaimable / 1024);
        v.put("SUnreclaim", slabUnreclaimable / 1024);
        v.put("AnonHugePages", m.stat("anon_thp", "rss_huge") / 1024);
        v.put("ShmemHugePages", m.v2() ? m.stat("shmem_thp", "") / 1024 : 0);
        v.put("ShmemPmdMapped", 0L);
        if (m.v2()) {
            v2Only(v, m, "KReclaimable", "slab_reclaimable");
            v2Only(v, m, "KernelStack", "kernel_stack");
            v2Only(v, m, "PageTables", "pagetables");
            v2Only(v, m, "SecPageTables", "sec_pagetables");
            v2Only(v, m, "Percpu", "percpu");
            v2Only(v, m, "FileHugePages", "file_thp");
        }
        return v;
    }

    private static void v2Only(Map<String, Long> v, ContainerMemory m, String label, String key) {
        if (m.hasStat(key, "")) v.put(label, m.stat(key, "") / 1024);
    }

    /** One line in the kernel's format, e.g. {@code "MemTotal:        1048576 kB"} (no newline). */
    static String kbLine(String label, long kib) {
        StringBuilder sb = new StringBuilder(32).append(label).append(':');
        while (sb.length() < LABEL_WIDTH) sb.append(' ');
        String number = Long.toString(kib);
        for (int i = number.length(); i < NUMBER_WIDTH; i++) sb.append(' ');
        return sb.append(number).append(" kB").toString();
    }
}
