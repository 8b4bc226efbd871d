package org.jlxcfs.view.cgroup;

import java.util.Arrays;
import java.util.BitSet;

/** A set of CPU ids in the kernel's list format ("0-3,8,10-11"). */
public final class CpuSet {
    private final BitSet cpus;

    private CpuSet(BitSet cpus) {
        this.cpus = cpus;
    }

    /** Parses the list format; blanks and a trailing newline are ignored. */
    public static CpuSet parse(String list) {
        BitSet set = new BitSet();
        for (String token : list.strip().split(",")) {
            String t = token.strip();
            if (t.isEmpty()) continue;
            int dash = t.indexOf('-');
            try {
                if (dash < 0) {
                    set.set(Integer.parseInt(t));
                } else {
                    int a = Integer.parseInt(t.substring(0, dash).strip()), b = Integer.parseInt(t.substring(dash + 1).strip());
                    set.set(Math.min(a, b), Math.max(a, b) + 1);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CPU list: '" + list.strip() + "'");
            }
        }
        return new CpuSet(set);
    }

    /** CPUs 0 .. n-1. */
    public static CpuSet firstN(int n) {
        BitSet set = new BitSet();
        set.set(0, Math.max(n, 0));
        return new CpuSet(set);
    }

    public boolean contains(int cpu) {
        return cpu >= 0 && cpus.get(cpu);
    }

    public int size() {
        return cpus.cardinality();
    }

    public boolean isEmpty() {
        return cpus.isEmpty();
    }

    /** The ids in ascending order. */
    public int[] ids() {
        return cpus.stream().toArray();
    }

    /** The first {@code n} CPUs of this set. */
    public CpuSet limit(int n) {
        BitSet set = new BitSet();
        Arrays.stream(ids()).limit(Math.max(n, 0)).forEach(set::set);
        return new CpuSet(set);
    }

    public CpuSet intersect(CpuSet other) {
        BitSet set = (BitSet) cpus.clone();
        set.and(other.cpus);
        return new CpuSet(set);
    }

    /** The list format, with ranges ("0-3,8,10-11"); empty for no CPUs. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int i = cpus.nextSetBit(0);
        while (i >= 0) {
            int end = cpus.nextClearBit(i) - 1;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(i);
            if (end > i) sb.append('-').append(end);
            i = cpus.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet c && c.cpus.equals(cpus);
    }

    @Override
    public int hashCode() {
        return cpus.hashCode();
    }
}
