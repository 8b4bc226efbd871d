package org.jlxcfs.daemon;

import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.host.Host;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that change what the views show, shared by the daemon and {@code jlxcfs show}. */
final class ViewSettings {
    @Option(names = {"-u", "--disable-swap"}, description = "Show no swap: SwapTotal/SwapFree 0, /proc/swaps header only.")
    boolean disableSwap;

    @Option(names = "--disable-zswap", description = "Show no zswap: the Zswap/Zswapped lines of /proc/meminfo 0.")
    boolean disableZswap;

    @Option(names = "--no-cpu-quota",
            description = "Count CPUs from the cpuset only, ignoring CPU quotas (by default a 1.5-CPU limit shows 2 CPUs).")
    boolean noCpuQuota;

    @Option(names = "--enable-cfs", description = "Accepted for LXCFS compatibility: quota-aware CPU counts are the default.")
    boolean enableCfs;

    @Option(names = "--disable-loadavg", description = "Serve the host's /proc/loadavg instead of the container's.")
    boolean disableLoadavg;

    @Option(names = {"-l", "--enable-loadavg"}, description = "Accepted for LXCFS compatibility: loadavg is virtualized by default.")
    boolean enableLoadavg;

    @Option(names = "--proc-root", paramLabel = "DIR", hidden = true, description = "The host's /proc (tests use fixture trees).")
    Path procRoot = Path.of("/proc");

    @Option(names = "--sys-root", paramLabel = "DIR", hidden = true, description = "The host's /sys.")
    Path sysRoot = Path.of("/sys");

    @Option(names = "--cgroup-root", paramLabel = "DIR", hidden = true, description = "Where the cgroup hierarchies are mounted.")
    Path cgroupRoot = Path.of("/sys/fs/cgroup");

    ViewOptions options() {
        return new ViewOptions(!disableSwap, !noCpuQuota, !disableLoadavg, !disableZswap);
    }

    Host host() {
        return new Host(procRoot, sysRoot);
    }
}
