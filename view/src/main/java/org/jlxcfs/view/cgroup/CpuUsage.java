package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The CPU time a cgroup (and its descendants) has used since it was created, split into user and
 * system, in nanoseconds, and per host CPU where the kernel gives it.
 *
 * <p>Sources, first found wins:
 * <ol>
 *   <li>v2 {@code cpu.stat} ({@code user_usec}, {@code system_usec}; present in every cgroup2
 *       cgroup with or without the cpu controller): totals only.</li>
 *   <li>v1 {@code cpuacct.usage_all} ({@code N user_ns system_ns} per possible CPU).</li>
 *   <li>v1 {@code cpuacct.usage_percpu} (total per CPU), split into user and system by the ratio
 *       of {@code cpuacct.stat} (all user when that is missing). LXCFS counts the whole total
 *       both as user and as system here; we do not.</li>
 * </ol>
 * None of them (no accounting, or the cgroup is gone): empty. Negative values (never written by
 * a kernel) count as 0.
 */
public final class CpuUsage {
    private final long userNs;
    private final long systemNs;
    private final long[] perCpuUserNs;
    private final long[] perCpuSystemNs;

    public CpuUsage(long userNs, long systemNs) {
        this(userNs, systemNs, null, null);
    }

    private CpuUsage(long userNs, long systemNs, long[] perCpuUserNs, long[] perCpuSystemNs) {
        this.userNs = Math.max(0, userNs);
        this.systemNs = Math.max(0, systemNs);
        this.perCpuUserNs = perCpuUserNs;
        this.perCpuSystemNs = perCpuSystemNs;
    }

    /** From per-CPU figures (index = host CPU id); the totals are their sums. */
    public static CpuUsage perCpu(long[] userNs, long[] systemNs) {
        long[] u = Arrays.stream(userNs).map(v -> Math.max(0, v)).toArray();
        long[] s = Arrays.stream(systemNs).map(v -> Math.max(0, v)).toArray();
        return new CpuUsage(saturatedSum(u), saturatedSum(s), u, s);
    }

    public long userNs() {
        return userNs;
    }

    public long systemNs() {
        return systemNs;
    }

    public long totalNs() {
        return saturatedAdd(userNs, systemNs);
    }

    public boolean hasPerCpu() {
        return perCpuUserNs != null;
    }

    /** User time on one host CPU (0 for a CPU the kernel did not list or without per-CPU figures). */
    public long userNs(int cpu) {
        return perCpuUserNs != null && cpu >= 0 && cpu < perCpuUserNs.length ? perCpuUserNs[cpu] : 0;
    }

    public long systemNs(int cpu) {
        return perCpuSystemNs != null && cpu >= 0 && cpu < perCpuSystemNs.length ? perCpuSystemNs[cpu] : 0;
    }

    /** Number of per-CPU slots (the kernel lists every possible CPU); 0 without per-CPU figures. */
    public int cpuSlots() {
        return perCpuUserNs == null ? 0 : perCpuUserNs.length;
    }

    /** Reads the accounting of a cgroup ({@link ContainerCgroups#cpuAccounting()}). */
    public static Optional<CpuUsage> read(Cgroup accounting) throws IOException {
        return accounting.hierarchy().v2() ? readV2(accounting) : readV1(accounting);
    }

    private static Optional<CpuUsage> readV2(Cgroup c) throws IOException {
        Map<String, Long> stat = c.readKeyValues("cpu.stat");
        Long user = stat.get("user_usec"), system = stat.get("system_usec"), usage = stat.get("usage_usec");
        if (user == null && system == null) {
            return usage == null ? Optional.empty() : Optional.of(new CpuUsage(micros(usage), 0));
        }
        return Optional.of(new CpuUsage(micros(user == null ? 0 : user), micros(system == null ? 0 : system)));
    }

    private static Optional<CpuUsage> readV1(Cgroup c) throws IOException {
        Optional<String> all = c.read("cpuacct.usage_all");
        if (all.isPresent()) return Optional.of(parseUsageAll(c, all.get()));
        Optional<String> percpu = c.read("cpuacct.usage_percpu");
        if (percpu.isEmpty()) return Optional.empty();
        long[] totals = parseNumbers(c, "cpuacct.usage_percpu", percpu.get());
        Map<String, Long> stat = c.readKeyValues("cpuacct.stat");
        long u = Math.max(0, stat.getOrDefault("user", 0L)), s = Math.max(0, stat.getOrDefault("system", 0L));
        long[] user = new long[totals.length], system = new long[totals.length];
        for (int i = 0; i < totals.length; i++) {
            long t = Math.max(0, totals[i]);
            user[i] = u + s == 0 ? t : scale(t, u, u + s);
            system[i] = t - user[i];
        }
        return Optional.of(perCpu(user, system));
    }

    /** "cpu user system" then "N user_ns system_ns" per CPU. */
    private static CpuUsage parseUsageAll(Cgroup c, String text) throws IOException {
        String[] lines = text.split("\n");
        int max = -1;
        long[][] rows = new long[lines.length][];
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("cpu")) continue;
            long[] f = parseNumbers(c, "cpuacct.usage_all", line);
            if (f.length != 3 || f[0] < 0 || f[0] > 1 << 20) {
                throw new IOException(c.directory().resolve("cpuacct.usage_all") + ": bad line '" + line + "'");
            }
            rows[i] = f;
            max = Math.max(max, (int) f[0]);
        }
        long[] user = new long[max + 1], system = new long[max + 1];
        for (long[] r : rows) {
            if (r == null) continue;
            user[(int) r[0]] = r[1];
            system[(int) r[0]] = r[2];
        }
        return perCpu(user, system);
    }

    private static long[] parseNumbers(Cgroup c, String file, String text) throws IOException {
        String s = text.strip();
        if (s.isEmpty()) return new long[0];
        String[] f = Text.fields(s);
        long[] v = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            try {
                v[i] = Long.parseLong(f[i]);
            } catch (NumberFormatException e) {
                throw new IOException(c.directory().resolve(file) + " holds '" + f[i] + "', not a number");
            }
        }
        return v;
    }

    /** t × num / den (num ≤ den), exact while it fits in a long. */
    private static long scale(long t, long num, long den) {
        if (num == 0 || t <= Long.MAX_VALUE / num) return t * num / den;
        return (long) ((double) t * num / den);
    }

    private static long micros(long usec) {
        return usec <= 0 ? 0 : usec > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : usec * 1000;
    }

    private static long saturatedSum(long[] values) {
        long sum = 0;
        for (long v : values) sum = saturatedAdd(sum, v);
        return sum;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "user=" + userNs + "ns system=" + systemNs + "ns" + (hasPerCpu() ? " cpus=" + cpuSlots() : "");
    }
}
