package org.jlxcfs.view;

/**
 * Switches that change what the views show.
 *
 * @param swap      show the container's swap (off: SwapTotal/SwapFree 0, /proc/swaps header only)
 * @param cpuQuota  count CPUs from the CPU quota as well as the cpuset (min of both)
 * @param loadavg   virtualize /proc/loadavg (off: the host's)
 * @param zswap     show the container's zswap in /proc/meminfo (off: Zswap/Zswapped 0)
 */
public record ViewOptions(boolean swap, boolean cpuQuota, boolean loadavg, boolean zswap) {
    public static final ViewOptions DEFAULTS = new ViewOptions(true, true, true, true);
}
