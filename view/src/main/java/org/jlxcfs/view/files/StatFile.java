package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.CgroupTasks;
import org.jlxcfs.view.cgroup.CpuUsage;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Kept;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code /proc/stat}: the container's CPU time on the CPUs it is shown, and its own task counts.
 *
 * <ul>
 *   <li>{@code cpu} and {@code cpuN} rows: N = 0..count-1 (the same ids as cpuinfo and
 *       sys/devices/system/cpu/online; host ids when the container sees every online host CPU).
 *       user and system come from the container's CPU accounting ({@link CpuUsage}: v1 cpuacct,
 *       v2 cpu.stat, which LXCFS never read); per-CPU figures (v1) go to the row of their CPU, time
 *       spent on CPUs that are not shown (the cpuset is wider than the quota) and v2's totals are
 *       spread evenly. nice, iowait, irq, softirq, steal, guest, guest_nice are 0.</li>
 *   <li>idle = capacity × elapsed − (user + system), where capacity is the CPU quota in CPUs (at
 *       most the CPUs shown; the CPUs shown without a quota) and elapsed the time since the
 *       container's init started. So {@code top} shows a container using all its quota as 100%
 *       busy and an idle one as 0% (LXCFS makes busy% relative to the wall time of every cpuset
 *       CPU, so 0.5 CPU of quota on 4 CPUs reads 12.5% at most). It never decreases between
 *       reads (a high-water mark per container, owned by {@link CpuTimes}, which /proc/uptime's idle
 *       shares; after a burst above the quota it holds until the formula catches up) and is never
 *       negative (a cgroup older than its init, e.g. reused by a restarted container, can have
 *       used more than that). It is spread evenly over the rows, so each row is monotonic too
 *       (the kernel keeps no per-cgroup idle per CPU).</li>
 *   <li>{@code procs_running} / {@code procs_blocked}: the container's threads in state R / D
 *       ({@link CgroupTasks}, over the cpu cgroup's subtree, else the unified one's, as for the load
 *       average); procs_running adds 1 for the reader, which the kernel would count as running but
 *       which sleeps in its FUSE read while we count.</li>
 *   <li>{@code intr}, {@code ctxt}, {@code btime}, {@code processes} (forks since boot: the
 *       kernel has no per-cgroup count), {@code softirq}: the host's. btime stays the host's, as
 *       process start times in /proc/PID/stat count from it.</li>
 * </ul>
 *
 * <p>Fallbacks: cpu, cpuset and CPU accounting cgroups all at the root (or absent) → the host
 * file. No CPU accounting readable (no cpuacct/cpu.stat, the cgroup vanished, or accounting only
 * at the root, which would charge the whole host to the container) → the host's per-CPU rows of
 * the shown CPUs, renamed, and their sum (LXCFS does the same). Init's start time unreadable (it
 * just exited) → elapsed counts from the host's boot. Task cgroup at the root, absent or gone →
 * the host's procs_running/procs_blocked. Rows are never truncated, however many
 * CPUs the host has.
 */
public final class StatFile implements VirtualFile {
    private final Host host;
    private final CpuTimes times;
    /** Task counts per cgroup directory: counting reads a /proc file per task. */
    private final Kept<Path, Optional<CgroupTasks.Counts>> taskCounts = new Kept<>(4096);

    /** With a {@link CpuTimes} of its own (tests; the daemon shares one with {@link UptimeFile}). */
    public StatFile(Host host, ViewOptions options) {
        this(host, new CpuTimes(host, options));
    }

    public StatFile(Host host, CpuTimes times) {
        this.host = host;
        this.times = times;
    }

    @Override
    public String path() {
        return "proc/stat";
    }

    private Optional<CgroupTasks.Counts> taskCounts(Cgroup cgroup) throws IOException {
        return taskCounts.get(cgroup.directory(), () -> CgroupTasks.count(host, cgroup));
    }

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("stat");
        String[] lines = new String(hostFile, StandardCharsets.UTF_8).split("\n");
        CpuTimes.Rows cpu = times.rows(container, lines);
        if (cpu.source() == CpuTimes.Source.HOST_FILE) return hostFile;
        ShownCpus shown = cpu.shown();
        long[][] rows = cpu.rows();
        long[] total = cpu.total();

        // The same subtree the load average counts: the cpu cgroup, else the unified one.
        var cg = container.cgroups();
        Optional<CgroupTasks.Counts> tasks = Optional.empty();
        Optional<Cgroup> taskCgroup = cg.cpu().or(cg::unified);
        if (taskCgroup.isPresent() && !taskCgroup.get().isRoot()) tasks = taskCounts(taskCgroup.get());

        StringBuilder out = new StringBuilder(hostFile.length + 64);
        boolean cpusDone = false;
        for (String line : lines) {
            if (line.startsWith("cpu")) {
                if (cpusDone) continue;
                cpusDone = true;
                out.append("cpu ");
                appendValues(out, total);
                for (int k = 0; k < rows.length; k++) {
                    out.append("cpu").append(shown.name(k));
                    appendValues(out, rows[k]);
                }
            } else if (tasks.isPresent() && line.startsWith("procs_running ")) {
                out.append("procs_running ").append(tasks.get().running() + 1).append('\n');
            } else if (tasks.isPresent() && line.startsWith("procs_blocked ")) {
                out.append("procs_blocked ").append(tasks.get().blocked()).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendValues(StringBuilder out, long[] values) {
        for (long v : values) out.append(' ').append(v);
        out.append('\n');
    }
}
