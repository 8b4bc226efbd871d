package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.jlxcfs.view.cgroup.CpuUsage;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The CPU time a container is shown, per shown CPU, in USER_HZ ticks: the one owner of the idle
 * figure, so that {@code /proc/stat}'s idle column and {@code /proc/uptime}'s idle seconds come
 * from the same formula (uptime idle = the stat idle total / USER_HZ, as on the host) and neither
 * ever goes backwards.
 *
 * <ul>
 *   <li>With CPU accounting: user and system are the container's ({@link CpuUsage}), per CPU where
 *       v1 gives them, spread evenly otherwise; idle = capacity × elapsed − busy, at least 0, and at
 *       least what was shown before ({@link #TRACKED} high-water marks, one per container).</li>
 *   <li>Without (accounting absent, unreadable or at the root): the host's rows of the shown CPUs.</li>
 *   <li>Every cgroup at the root, or no CPU shown: the host's rows as they are.</li>
 * </ul>
 *
 * <p>The marks are keyed by the container's init identity (pid + start time), so a recycled pid
 * never inherits another container's mark, and one container holds one mark whatever it does with
 * its cgroups (the cgroup is part of the value: a move to another cgroup starts afresh, since its
 * counters start afresh). Least recently read containers are evicted past the bound; an evicted
 * container may see its idle step back once, to the formula.
 */
public final class CpuTimes {
    static final int TRACKED = 4096;
    static final int COLUMNS = 10;
    static final int IDLE = 3;
    private static final long NS_PER_TICK = 1_000_000_000L / Host.CLOCK_TICKS;

    private final Host host;
    private final ViewOptions options;
    private final Map<Owner, Mark> marks;

    /**
     * Whose mark: a container by its init's identity; a reader in the host's pid namespace (no
     * init of its own) by its accounting cgroup, which the host set up.
     */
    private record Owner(int initPid, long initStart, String hostCgroup) {}

    /** The highest idle shown, and for which accounting cgroup. */
    private record Mark(String cgroup, long idle) {}

    /** How the rows were found, for the files that show them. */
    enum Source { CONTAINER, HOST_ROWS, HOST_FILE }

    /** Rows of the shown CPUs (COLUMNS ticks each), or {@link Source#HOST_FILE} with the host's total row only. */
    record Rows(Source source, ShownCpus shown, long[][] rows) {
        long[] total() {
            long[] t = new long[COLUMNS];
            for (long[] r : rows) for (int i = 0; i < COLUMNS; i++) t[i] = addSaturated(t[i], r[i]);
            return t;
        }
    }

    public CpuTimes(Host host, ViewOptions options) {
        this(host, options, TRACKED);
    }

    /** For tests: a smaller bound on the containers tracked. */
    CpuTimes(Host host, ViewOptions options, int tracked) {
        this.host = host;
        this.options = options;
        this.marks = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Owner, Mark> eldest) {
                return size() > tracked;
            }
        };
    }

    /** The idle ticks /proc/stat shows the container in its {@code cpu} row. */
    public long idleTicks(Container container) throws IOException {
        Rows rows = rows(container, null);
        if (rows.source() == Source.HOST_FILE) return hostTotalRow(host.procText("stat").split("\n"))[IDLE];
        return rows.total()[IDLE];
    }

    /**
     * The rows for the container.
     *
     * @param hostStatLines the host's /proc/stat if already read (else read here when needed)
     */
    Rows rows(Container container, String[] hostStatLines) throws IOException {
        ContainerCgroups cg = container.cgroups();
        Optional<Cgroup> acct = cg.cpuAccounting();
        if (rootOrAbsent(cg.cpu()) && rootOrAbsent(cg.cpuset()) && rootOrAbsent(acct)) return new Rows(Source.HOST_FILE, null, null);
        ShownCpus shown = ShownCpus.of(container, host, options);
        if (shown.count() == 0) return new Rows(Source.HOST_FILE, shown, null);
        Optional<CpuUsage> usage = rootOrAbsent(acct) ? Optional.empty() : CpuUsage.read(acct.get());
        if (usage.isPresent()) return new Rows(Source.CONTAINER, shown, containerRows(shown, usage.get(), acct.get(), container));
        String[] lines = hostStatLines != null ? hostStatLines : host.procText("stat").split("\n");
        return new Rows(Source.HOST_ROWS, shown, hostRows(shown, hostCpuRows(lines)));
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
            busy = addSaturated(busy, rows[k][0] + rows[k][2]);
        }
        long idle = idle(shown.capacity(), busy, acct, container);
        for (int k = 0; k < n; k++) rows[k][IDLE] = share(idle, n, k);
        return rows;
    }

    /** capacity × elapsed − busy, in ticks, at least 0 and at least what this container was shown before. */
    private long idle(double capacity, long busyTicks, Cgroup acct, Container container) throws IOException {
        long start;
        try {
            start = Math.max(0, container.initStart(host));
        } catch (IOException | RuntimeException e) {
            start = 0; // init just exited: count from boot
        }
        long uptime = Math.round(host.uptimeSeconds() * Host.CLOCK_TICKS);
        long elapsed = Math.max(0, uptime - start);
        long idle = Math.max(0, (long) Math.floor(capacity * elapsed) - busyTicks);
        String cgroup = acct.hierarchy().mountPoint() + ":" + acct.path();
        Owner owner = container.initPid() > 1 ? new Owner(container.initPid(), start, null) : new Owner(0, 0, cgroup);
        synchronized (marks) {
            Mark before = marks.get(owner);
            if (before != null && before.cgroup().equals(cgroup) && before.idle() > idle) idle = before.idle();
            marks.put(owner, new Mark(cgroup, idle));
        }
        return idle;
    }

    /** Containers with a mark (for tests). */
    int tracked() {
        synchronized (marks) {
            return marks.size();
        }
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
                rows.put(Integer.parseInt(f[0].substring(3)), values(f));
            } catch (NumberFormatException e) {
                throw new IOException("host /proc/stat has a malformed line '" + line + "'");
            }
        }
        return rows;
    }

    /** The host's {@code cpu} (total) row. */
    private static long[] hostTotalRow(String[] lines) throws IOException {
        for (String line : lines) {
            if (!line.startsWith("cpu ")) continue;
            try {
                return values(Text.fields(line));
            } catch (NumberFormatException e) {
                throw new IOException("host /proc/stat has a malformed line '" + line + "'");
            }
        }
        throw new IOException("host /proc/stat has no 'cpu' line");
    }

    private static long[] values(String[] fields) {
        long[] v = new long[COLUMNS];
        for (int i = 1; i < fields.length && i <= COLUMNS; i++) v[i - 1] = Math.max(0, Long.parseLong(fields[i]));
        return v;
    }

    /** Row k's part of total spread over n rows: equal parts, the remainder to the first rows; monotonic in total. */
    static long share(long total, int n, int k) {
        return total / n + (k < total % n ? 1 : 0);
    }

    static long addSaturated(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
