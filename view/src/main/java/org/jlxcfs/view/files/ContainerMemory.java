package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.Limits;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One reading of a container's memory cgroup (v1 or v2), shared by {@link MeminfoFile} and
 * {@link SwapsFile} so both files agree on MemTotal and swap.
 *
 * <p>Reading order is limits, then swap counters, then usage, then memory.stat: if the cgroup
 * vanishes part way, a limit read from the ancestors alone is never combined with usage,
 * because the later reads of the cgroup's own files then fail and the whole reading is empty.
 *
 * <p>Empty reading (callers then serve the host's file verbatim): no memory hierarchy, the
 * memory cgroup is the root (the host's own view), or memory.current / memory.usage_in_bytes or
 * memory.stat is missing (the cgroup is gone, or on v2 the memory controller is not enabled for
 * it). A malformed number is an IOException naming the file.
 */
public final class ContainerMemory {
    private final boolean v2;
    private final OptionalLong limit;
    private final long usage;
    private final Map<String, Long> stat;
    private final long hostMemTotalKib;
    private final long hostSwapTotalKib;
    private final SwapInputs swap;

    /**
     * The cgroup's swap files, read only when swap is wanted.
     *
     * @param accounted     the kernel accounts swap for this cgroup (v2 memory.swap.current, v1
     *                      memory.memsw.usage_in_bytes exists)
     * @param limit         effective v2 memory.swap.max or v1 memory.memsw.limit_in_bytes (bytes)
     * @param current       v2 memory.swap.current, v1 memory.memsw.usage_in_bytes (bytes)
     * @param swappinessOff v1 memory.swappiness is 0 (the cgroup does not swap on its own)
     */
    record SwapInputs(boolean accounted, OptionalLong limit, long current, boolean swappinessOff) {
        static final SwapInputs NONE = new SwapInputs(false, OptionalLong.empty(), 0, false);
    }

    private ContainerMemory(boolean v2, OptionalLong limit, long usage, Map<String, Long> stat,
                            long hostMemTotalKib, long hostSwapTotalKib, SwapInputs swap) {
        this.v2 = v2;
        this.limit = limit;
        this.usage = usage;
        this.stat = stat;
        this.hostMemTotalKib = hostMemTotalKib;
        this.hostSwapTotalKib = hostSwapTotalKib;
        this.swap = swap;
    }

    /**
     * Reads the container's memory cgroup. {@code hostMeminfo} is the host's /proc/meminfo parsed
     * by {@link #parseMeminfo}; {@code wantSwap} false skips the swap files (swap shows as none).
     */
    public static Optional<ContainerMemory> read(Container container, Map<String, Long> hostMeminfo, boolean wantSwap)
            throws IOException {
        Optional<Cgroup> memory = container.cgroups().memory();
        if (memory.isEmpty() || memory.get().isRoot()) return Optional.empty();
        Cgroup cg = memory.get();
        boolean v2 = cg.hierarchy().v2();
        Long hostTotal = hostMeminfo.get("MemTotal");
        if (hostTotal == null) throw new IOException("the host's /proc/meminfo has no MemTotal line");
        long hostSwap = Math.max(0, hostMeminfo.getOrDefault("SwapTotal", 0L));

        OptionalLong limit = Limits.memory(cg);
        SwapInputs swap = wantSwap ? readSwap(cg, v2) : SwapInputs.NONE;
        OptionalLong usage = cg.readCounter(v2 ? "memory.current" : "memory.usage_in_bytes");
        if (usage.isEmpty()) return Optional.empty();
        Map<String, Long> stat = cg.readKeyValues("memory.stat");
        if (stat.isEmpty()) return Optional.empty();
        return Optional.of(new ContainerMemory(v2, limit, Math.max(0, usage.getAsLong()), stat,
                Math.max(0, hostTotal), hostSwap, swap));
    }

    private static SwapInputs readSwap(Cgroup cg, boolean v2) throws IOException {
        String current = v2 ? "memory.swap.current" : "memory.memsw.usage_in_bytes";
        if (!cg.exists(current)) return SwapInputs.NONE;
        OptionalLong limit = Limits.swap(cg);
        long used = Math.max(0, cg.readCounter(current).orElse(0));
        return new SwapInputs(true, limit, used, Limits.swappinessOff(cg));
    }

    /** "Label:   value kB" lines of a meminfo file, label → value; unparsable lines are skipped. */
    public static Map<String, Long> parseMeminfo(String text) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String[] f = Text.fields(line.substring(colon + 1));
            if (f.length == 0) continue;
            try {
                values.put(line.substring(0, colon), Long.parseLong(f[0]));
            } catch (NumberFormatException e) {
                // not a number: no use to us, the line is passed through as it is
            }
        }
        return values;
    }

    public boolean v2() {
        return v2;
    }

    /** The effective memory limit in bytes; empty when unlimited. */
    public OptionalLong limit() {
        return limit;
    }

    public long usageBytes() {
        return usage;
    }

    public long hostMemTotalKib() {
        return hostMemTotalKib;
    }

    public long hostSwapTotalKib() {
        return hostSwapTotalKib;
    }

    SwapInputs swapInputs() {
        return swap;
    }

    /** MemTotal: the limit in KiB, or the host's when unlimited or above the host's RAM. */
    public long memTotalKib() {
        if (limit.isEmpty()) return hostMemTotalKib;
        return Math.min(limit.getAsLong() / 1024, hostMemTotalKib);
    }

    /** MemTotal minus usage, 0 when usage is above the limit (never negative). */
    public long memFreeKib() {
        return Math.max(0, memTotalKib() - usage / 1024);
    }

    /**
     * A memory.stat value in bytes by its v2 name; on v1 the hierarchical {@code total_} key of
     * the v1 name is read. Missing or negative values are 0.
     */
    public long stat(String v2Key, String v1Key) {
        Long v = v2 ? stat.get(v2Key) : stat.get("total_" + v1Key);
        return v == null ? 0 : Math.max(0, v);
    }

    /** Whether memory.stat has the key (v2 name, or v1 {@code total_} name). */
    public boolean hasStat(String v2Key, String v1Key) {
        return stat.containsKey(v2 ? v2Key : "total_" + v1Key);
    }

    public SwapFigures swap() {
        return SwapFigures.of(this);
    }
}
