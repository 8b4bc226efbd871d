package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.CpuUsage;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code /proc/uptime}: seconds since the container's init started, and the idle seconds of the
 * container's CPUs over that time, both {@code %lu.%02lu} as the kernel prints them.
 *
 * <p>uptime = host uptime − init's start time (field 22 of /proc/INIT/stat). idle = capacity ×
 * uptime − busy, at least 0, where capacity is the CPU quota in CPUs (at most the CPUs shown; the
 * CPUs shown without quota) and busy the container's CPU time ({@link CpuUsage}, v1 cpuacct or v2
 * cpu.stat). Like the kernel's, idle sums over the container's CPUs and so agrees with the idle
 * column of our /proc/stat; LXCFS uses single-CPU semantics (uptime − busy), reads busy only on
 * v1 and shows uptime when busy exceeds it.
 *
 * <p>Fallbacks: readers in the host's pid namespace (init = host pid 1) → the host file. Init's
 * start time unreadable (it just exited) → the host file (LXCFS prints a garbage negative number).
 * CPU accounting at the root cgroup, absent or unreadable → the host's idle pro rata of the
 * container's uptime, at most capacity × uptime.
 */
public final class UptimeFile implements VirtualFile {
    private static final long NS_PER_TICK = 1_000_000_000L / Host.CLOCK_TICKS;

    private final Host host;
    private final ViewOptions options;

    public UptimeFile(Host host, ViewOptions options) {
        this.host = host;
        this.options = options;
    }

    @Override
    public String path() {
        return "proc/uptime";
    }

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("uptime");
        if (container.initPid() <= 1) return hostFile;
        long start;
        try {
            start = container.initStart(host);
        } catch (IOException | RuntimeException e) {
            return hostFile;
        }
        String[] hostFields = Text.fields(new String(hostFile, StandardCharsets.UTF_8));
        long hostUptime, hostIdle;
        try {
            hostUptime = Math.round(Double.parseDouble(hostFields[0]) * Host.CLOCK_TICKS);
            hostIdle = Math.round(Double.parseDouble(hostFields[1]) * Host.CLOCK_TICKS);
        } catch (RuntimeException e) {
            throw new IOException("host " + host.proc().resolve("uptime") + " is malformed: '" + String.join(" ", hostFields) + "'");
        }
        long uptime = Math.max(0, hostUptime - Math.max(0, start));
        double capacity = ShownCpus.of(container, host, options).capacity();
        long most = (long) Math.floor(capacity * uptime);

        Optional<Cgroup> acct = container.cgroups().cpuAccounting();
        Optional<CpuUsage> usage = acct.isEmpty() || acct.get().isRoot() ? Optional.empty() : CpuUsage.read(acct.get());
        long idle;
        if (usage.isPresent()) {
            idle = Math.max(0, most - usage.get().totalNs() / NS_PER_TICK);
        } else {
            double proRata = hostUptime <= 0 ? 0 : (double) Math.max(0, hostIdle) * uptime / hostUptime;
            idle = Math.min(most, (long) Math.floor(proRata));
        }
        return (ticks(uptime) + " " + ticks(idle) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String ticks(long t) {
        long hundredths = t * 100 / Host.CLOCK_TICKS;
        long frac = hundredths % 100;
        return hundredths / 100 + (frac < 10 ? ".0" : ".") + frac;
    }
}
