package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.Kept;
import org.jlxcfs.view.host.Text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Effective limits: the tightest value on the path from a cgroup to the root. A v1 child does
 * not show its parent's limit, and Kubernetes puts limits on the pod cgroup above the container,
 * so the cgroup's own file is not enough.
 */
public final class Limits {
    private Limits() {}

    /**
     * Limits change rarely and each costs a read per ancestor: an answer is kept a second per
     * cgroup directory, one cache per kind of limit, once the cgroup has settled ({@link Cgroup#settled}). The keys are the cgroups readers are in:
     * {@value #CGROUPS} of them, the least recently read dropped first.
     */
    static final int CGROUPS = 4096;
    private static final Kept<Path, Boolean> SWAPPINESS_OFF = new Kept<>(CGROUPS);
    private static final Kept<Path, OptionalLong> MEMORY = new Kept<>(CGROUPS);
    private static final Kept<Path, OptionalLong> SWAP = new Kept<>(CGROUPS);
    private static final Kept<Path, OptionalDouble> CPU_QUOTA = new Kept<>(CGROUPS);
    private static final Kept<Path, Optional<CpuSet>> CPUSET = new Kept<>(CGROUPS);

    /** v1 memory.swappiness is 0: the cgroup's own reclaim never swaps (v2 has no such setting). */
    public static boolean swappinessOff(Cgroup memory) throws IOException {
        if (memory.hierarchy().v2()) return false;
        return SWAPPINESS_OFF.get(memory.directory(), () -> memory.readCounter("memory.swappiness").orElse(60) == 0, v -> memory.settled());
    }

    /** Memory limit in bytes (v2 memory.max, v1 memory.limit_in_bytes); empty when unlimited. */
    public static OptionalLong memory(Cgroup memory) throws IOException {
        return MEMORY.get(memory.directory(), () -> minOverAncestors(memory, memory.hierarchy().v2() ? "memory.max" : "memory.limit_in_bytes"),
                v -> memory.settled());
    }

    /**
     * Swap limit in bytes: v2 memory.swap.max (swap alone); v1 memory.memsw.limit_in_bytes (memory
     * plus swap). Empty when unlimited or when the kernel does not account swap.
     */
    public static OptionalLong swap(Cgroup memory) throws IOException {
        return SWAP.get(memory.directory(), () -> minOverAncestors(memory, memory.hierarchy().v2() ? "memory.swap.max" : "memory.memsw.limit_in_bytes"),
                v -> memory.settled());
    }

    /** CPU quota in CPUs (quota / period, e.g. 0.5), the smallest on the path; empty when none. */
    public static OptionalDouble cpuQuota(Cgroup cpu) throws IOException {
        return CPU_QUOTA.get(cpu.directory(), () -> quotaOverAncestors(cpu), v -> cpu.settled());
    }

    private static OptionalDouble quotaOverAncestors(Cgroup cpu) throws IOException {
        double min = Double.POSITIVE_INFINITY;
        for (Optional<Cgroup> c = Optional.of(cpu); c.isPresent(); c = c.get().parent()) {
            double q = quotaOf(c.get());
            if (q > 0 && q < min) min = q;
        }
        return min == Double.POSITIVE_INFINITY ? OptionalDouble.empty() : OptionalDouble.of(min);
    }

    private static double quotaOf(Cgroup c) throws IOException {
        if (c.hierarchy().v2()) {
            Optional<String> max = c.read("cpu.max");
            if (max.isEmpty()) return -1;
            String[] f = Text.fields(max.get());
            if (f[0].equals("max") || f.length < 2) return -1;
            return ratio(c, "cpu.max", f[0], f[1]);
        }
        Optional<String> quota = c.read("cpu.cfs_quota_us");
        Optional<String> period = c.read("cpu.cfs_period_us");
        if (quota.isEmpty() || period.isEmpty()) return -1;
        return ratio(c, "cpu.cfs_quota_us", quota.get(), period.get());
    }

    private static double ratio(Cgroup c, String file, String quota, String period) throws IOException {
        try {
            long q = Long.parseLong(quota), p = Long.parseLong(period);
            return q <= 0 || p <= 0 ? -1 : (double) q / p;
        } catch (NumberFormatException e) {
            throw new IOException(c.directory().resolve(file) + " holds '" + quota + " " + period + "', not a quota");
        }
    }

    /**
     * The CPUs the cgroup may run on: its effective set (the kernel already intersects it with
     * the ancestors'), else its configured set, else the nearest ancestor's.
     */
    public static Optional<CpuSet> cpuset(Cgroup cpuset) throws IOException {
        return CPUSET.get(cpuset.directory(), () -> cpusetOf(cpuset), v -> cpuset.settled());
    }

    private static Optional<CpuSet> cpusetOf(Cgroup cpuset) throws IOException {
        String[] files = cpuset.hierarchy().v2() ? new String[] {"cpuset.cpus.effective", "cpuset.cpus"}
                : new String[] {"cpuset.effective_cpus", "cpuset.cpus"};
        for (Optional<Cgroup> c = Optional.of(cpuset); c.isPresent(); c = c.get().parent()) {
            for (String f : files) {
                Optional<String> s = c.get().read(f);
                if (s.isPresent()) {
                    try {
                        return Optional.of(CpuSet.parse(s.get()));
                    } catch (IllegalArgumentException e) {
                        throw new IOException(c.get().directory().resolve(f) + ": " + e.getMessage());
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static OptionalLong minOverAncestors(Cgroup cgroup, String file) throws IOException {
        long min = Long.MAX_VALUE;
        for (Optional<Cgroup> c = Optional.of(cgroup); c.isPresent(); c = c.get().parent()) {
            OptionalLong v = c.get().readLimit(file);
            if (v.isPresent() && v.getAsLong() < min) min = v.getAsLong();
        }
        return min == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(min);
    }
}
