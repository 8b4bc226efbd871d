package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.CgroupTasks;
import org.jlxcfs.view.cgroup.CpuUsage;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Kept;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
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
 *       reads (a per-cgroup high-water mark, kept for the {@value #TRACKED} most recently read
 *       cgroups; after a burst above the quota it holds until the formula catches up) and is never
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
    static final int TRACKED = 4096;
    private static final long NS_PER_TICK = 1_000_000_000L / Host.CLOCK_TICKS;
    private static final int COLUMNS = 10;

    private final Host host;
    private final ViewOptions options;
    /** Highest idle (ticks) shown per accounting cgroup and init start; least recently read evicted. */
    private final Map<String, Long> idleHighWater;

    public StatFile(Host host, ViewOptions options) {
        this(host, options, TRACKED);
    }

    /** For tests: a smaller bound on the cgroups tracked. */
    StatFile(Host host, ViewOptions options, int tracked) {
        this.host = host;
        this.options = options;
        this.idleHighWater = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > tracked;
            }
        };
    }

    @Override
    public String path() {
        return "proc/stat";
    }

    /** Task counts kept for a second per cgroup: counting reads a /proc file per task. */
    private Optional<CgroupTasks.Counts> taskCounts(Cgroup cgroup) throws IOException {
        return Kept.value("tasks:" + cgroup.directory(), () -> CgroupTasks.count(host, cgroup));
    }

    @Override
    public byte[] render(Container container) throws IOException {
        byte[] hostFile = host.procFile("stat");
        var cg = container.cgroups();
        Optional<Cgroup> acct = cg.cpuAccounting();
        if (rootOrAbsent(cg.cpu()) && rootOrAbsent(cg.cpuset()) && rootOrAbsent(acct)) return hostFile;
        ShownCpus shown = ShownCpus.of(container, host, options);
        int n = shown.count();
        if (n == 0) return hostFile;
        String[] lines = new String(hostFile, StandardCharsets.UTF_8).split("\n");
        Map<Integer, long[]> hostRows = hostCpuRows(lines);

        Optional<CpuUsage> usage = rootOrAbsent(acct) ? Optional.empty() : CpuUsage.read(acct.get());
        long[][] rows = usage.isPresent()
                ? containerRows(shown, usage.get(), acct.get(), container)
                : hostRows(shown, hostRows);

        long[] total = new long[COLUMNS];
        for (long[] r : rows) for (int i = 0; i < COLUMNS; i++) total[i] += r[i];

        // The same subtree the load average counts: the cpu cgroup, else the unified one.
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
                for (int k = 0; k < n; k++) {
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

    private static boolean rootOrAbsent(Optional<Cgroup> c) {
        return c.isEmpty() || c.get().isRoot();
    }

    private long[][] containerRows(ShownCpus shown, CpuUsage usage, Cgroup acct, Container container) throws IOException {
        int n = shown.count();
        long[] userNs = new long[n], systemNs = new long[n];
        if (usage.hasPerCpu()) {
            // Each shown CPU keeps its own time; time on CPUs not shown is spread over all rows.
            boolean[] isShown = new boolean[Math.max(usage.cpuSlots(), shown.hostId(n - 1) + 1)];
            for (int k = 0; k < n; k++) isShown[shown.hostId(k)] = true;
            long otherUser = 0, otherSystem = 0;
            for (int cpu = 0; cpu < usage.cpuSlots(); cpu++) {
                if (isShown[cpu]) continue;
                otherUser = addSaturated(otherUser, usage.userNs(cpu));
                otherSystem = addSaturated(otherSystem, usage.systemNs(cpu));
            }
            for (int k = 0; k < n; k++) {
                userNs[k] = addSaturated(usage.userNs(shown.hostId(k)), share(otherUser, n, k));
                systemNs[k] = addSaturated(usage.systemNs(shown.hostId(k)), share(otherSystem, n, k));
            }
        } else {
            for (int k = 0; k < n; k++) {
                userNs[k] = share(usage.userNs(), n, k);
                systemNs[k] = share(usage.systemNs(), n, k);
            }
        }
        long[][] rows = new long[n][COLUMNS];
        long busy = 0;
        for (int k = 0; k < n; k++) {
            rows[k][0] = userNs[k] / NS_PER_TICK;
            rows[k][2] = systemNs[k] / NS_PER_TICK;
            busy += rows[k][0] + rows[k][2];
        }
        long idle = idle(shown.capacity(), busy, acct, container);
        for (int k = 0; k < n; k++) rows[k][3] = share(idle, n, k);
        return rows;
    }

    /** capacity × elapsed − busy, in ticks, at least 0 and at least what this cgroup was shown before. */
    private long idle(double capacity, long busyTicks, Cgroup acct, Container container) throws IOException {
        long start;
        try {
            start = Math.max(0, container.initStart(host));
        } catch (IOException | RuntimeException e) {
            start = 0;
        }
        long uptime = Math.round(host.uptimeSeconds() * Host.CLOCK_TICKS);
        long elapsed = Math.max(0, uptime - start);
        long idle = Math.max(0, (long) Math.floor(capacity * elapsed) - busyTicks);
        String key = acct.hierarchy().mountPoint() + ":" + acct.path() + "@" + start;
        synchronized (idleHighWater) {
            Long before = idleHighWater.get(key);
            if (before != null && before > idle) idle = before;
            idleHighWater.put(key, idle);
        }
        return idle;
    }

    /** Without accounting: the host's rows of the shown CPUs (all zero for a CPU the host does not list). */
    private static long[][] hostRows(ShownCpus shown, Map<Integer, long[]> hostRows) {
        long[][] rows = new long[shown.count()][];
        for (int k = 0; k < rows.length; k++) rows[k] = hostRows.getOrDefault(shown.hostId(k), new long[COLUMNS]);
        return rows;
    }

    /** The host's cpuN rows by CPU id, padded to ten columns (older kernels print fewer). */
    private static Map<Integer, long[]> hostCpuRows(String[] lines) throws IOException {
        Map<Integer, long[]> rows = new HashMap<>();
        for (String line : lines) {
            if (!line.startsWith("cpu") || line.startsWith("cpu ")) continue;
            String[] f = Text.fields(line);
            try {
                int id = Integer.parseInt(f[0].substring(3));
                long[] v = new long[COLUMNS];
                for (int i = 1; i < f.length && i <= COLUMNS; i++) v[i - 1] = Math.max(0, Long.parseLong(f[i]));
                rows.put(id, v);
            } catch (NumberFormatException e) {
                throw new IOException("host /proc/stat has a malformed line '" + line + "'");
            }
        }
        return rows;
    }

    private static void appendValues(StringBuilder out, long[] values) {
        for (long v : values) out.append(' ').append(v);
        out.append('\n');
    }

    /** Row k's part of total spread over n rows: equal parts, the remainder to the first rows; monotonic in total. */
    static long share(long total, int n, int k) {
        return total / n + (k < total % n ? 1 : 0);
    }

    private static long addSaturated(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
