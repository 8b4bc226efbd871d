package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.Kept;
import org.jlxcfs.view.host.SysFiles;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.host.Host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The CPUs a container is shown: its cpuset, cut to ceil(quota) CPUs when it has a CPU quota
 * (Kubernetes CPU limits are quotas). cpuinfo, stat and sys/devices/system/cpu all use this one
 * answer, so they agree with each other.
 *
 * @param cpuset  the host CPU ids the container may run on
 * @param visible the host CPU ids it is shown (the first {@code count} of the cpuset)
 * @param quota   its CPU quota in CPUs, if any
 */
public record CpuView(CpuSet cpuset, CpuSet visible, OptionalDouble quota) {

    public int count() {
        return visible.size();
    }

    public static CpuView of(Container container, Host host, ViewOptions options) throws IOException {
        CpuSet hostOnline = hostOnline(host);
        Optional<Cgroup> cs = container.cgroups().cpuset();
        CpuSet cpuset = cs.isPresent() ? Limits.cpuset(cs.get()).orElse(hostOnline) : hostOnline;
        // A cpuset may name CPUs that are offline now: only online ones can run anything.
        CpuSet online = cpuset.intersect(hostOnline);
        if (!online.isEmpty()) cpuset = online;
        OptionalDouble quota = OptionalDouble.empty();
        Optional<Cgroup> cpu = container.cgroups().cpu();
        if (options.cpuQuota() && cpu.isPresent()) quota = Limits.cpuQuota(cpu.get());
        int count = cpuset.size();
        if (quota.isPresent()) count = Math.max(1, Math.min(count, (int) Math.ceil(quota.getAsDouble() - 1e-9)));
        return new CpuView(cpuset, cpuset.limit(count), quota);
    }

    /** One key per host root (tests use several fixture hosts); a second, as every rarely changing value. */
    private static final Kept<Path, CpuSet> ONLINE = new Kept<>(16);

    /** The host's online CPUs (sys/devices/system/cpu/online). */
    public static CpuSet hostOnline(Host host) throws IOException {
        Path online = host.sys().resolve("devices/system/cpu/online");
        return ONLINE.get(online, () -> CpuSet.parse(SysFiles.readString(online)));
    }
}
