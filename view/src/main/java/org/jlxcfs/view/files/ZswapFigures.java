package org.jlxcfs.view.files;

/**
 * The container's zswap in KiB, for the {@code Zswap:} (compressed pool) and {@code Zswapped:}
 * (original size of the pages in the pool) lines of /proc/meminfo.
 *
 * <p>What the kernel's own meminfo says, and so what the container's must say: zswap is a cache in
 * front of a swap device, and a page goes into it only after it has been given a swap slot (the
 * slot is allocated, and charged to the cgroup's memory.swap.current, before the write-out that
 * zswap intercepts). A zswapped page therefore counts as used swap (SwapTotal − SwapFree), while
 * its compressed copy is RAM charged to the cgroup (memory.current, so MemTotal − MemFree) and is
 * on no LRU. Hence Zswapped ≤ SwapTotal − SwapFree and Zswap ≤ Zswapped (a page is stored in at
 * most a page).
 *
 * <ul>
 * <li>cgroup v2 with the {@code zswap} and {@code zswapped} keys in memory.stat (bytes; kernels
 *     with CONFIG_ZSWAP, 5.19+): those figures, Zswapped capped at the swap shown as used, Zswap
 *     at the Zswapped shown. The caps hold the invariants when memory.stat (flushed lazily) lags
 *     memory.swap.current, and hide zswap with swap when swap is off or not accounted.</li>
 * <li>Anything else (v1 and hybrid hosts, whose v1 memory.stat has no zswap figures; v2 kernels
 *     without the keys; {@code --disable-zswap}): 0, never the host's pool.</li>
 * </ul>
 */
public record ZswapFigures(long zswapKib, long zswappedKib) {
    public static final ZswapFigures NONE = new ZswapFigures(0, 0);

    static ZswapFigures of(ContainerMemory m, SwapFigures swap, boolean enabled) {
        if (!enabled || !m.v2() || !m.hasStat("zswap", "") || !m.hasStat("zswapped", "")) return NONE;
        long zswapped = Math.min(m.stat("zswapped", "") / 1024, swap.usedKib());
        long zswap = Math.min(m.stat("zswap", "") / 1024, zswapped);
        return new ZswapFigures(zswap, zswapped);
    }
}
