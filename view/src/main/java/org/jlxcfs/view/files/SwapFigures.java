package org.jlxcfs.view.files;

import java.util.OptionalLong;

/**
 * The container's swap in KiB, as /proc/meminfo (SwapTotal, SwapFree) and /proc/swaps (the
 * {@code none} line) both show it. Used never exceeds total (a limit lowered below what is
 * already swapped out shows a full device, not a negative SwapFree).
 *
 * <ul>
 * <li>v2: total = effective memory.swap.max, used = memory.swap.current.</li>
 * <li>v1: total = (memsw limit − memory limit) + MemTotal, as LXCFS: the memsw limit counts RAM
 *     plus swap and the kernel may swap out any part of the RAM allowance. Used = memory.stat
 *     total_swap (exact), else memsw usage − memory usage. memory.swappiness 0 → total = used
 *     (the cgroup does not swap on its own: a full device of the size already in use).</li>
 * <li>Both: unlimited → the host's swap; always capped at the host's SwapTotal. None when swap
 *     is switched off or the kernel does not account swap for the cgroup.</li>
 * </ul>
 * Used includes the pages held compressed in zswap: each keeps the swap slot it was given before
 * zswap took it, as the host's SwapFree counts it ({@link ZswapFigures}).
 */
public record SwapFigures(long totalKib, long usedKib) {
    public static final SwapFigures NONE = new SwapFigures(0, 0);

    public long freeKib() {
        return totalKib - usedKib;
    }

    static SwapFigures of(ContainerMemory m) {
        ContainerMemory.SwapInputs in = m.swapInputs();
        if (!in.accounted()) return NONE;
        long host = m.hostSwapTotalKib();
        long total;
        long used;
        if (m.v2()) {
            total = in.limit().isPresent() ? in.limit().getAsLong() / 1024 : host;
            used = in.current();
        } else {
            total = v1Total(in.limit(), m.limit(), m.memTotalKib(), m.hostMemTotalKib(), host);
            used = m.hasStat("swap", "swap") ? m.stat("swap", "swap")
                    : Math.max(0, in.current() - m.usageBytes());
        }
        total = Math.min(Math.max(0, total), host);
        long usedKib = Math.min(Math.max(0, used / 1024), total);
        if (in.swappinessOff()) total = usedKib;
        return new SwapFigures(total, usedKib);
    }

    private static long v1Total(OptionalLong memsw, OptionalLong mem, long memTotalKib, long hostMemKib, long hostSwapKib) {
        if (memsw.isEmpty()) return hostSwapKib;
        // No memory limit but a memsw limit cannot happen (the kernel keeps memsw >= memory in each
        // cgroup); should it, the host's RAM stands in for the memory limit.
        long memBytes = mem.isPresent() ? mem.getAsLong() : hostMemKib * 1024;
        return Math.max(0, memsw.getAsLong() - memBytes) / 1024 + memTotalKib;
    }
}
