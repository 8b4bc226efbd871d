package org.jlxcfs.view.files;

import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;

/**
 * Host and cgroup contents for the CPU files' tests, in each layout's own file names, modelled on
 * a real x86 host (this machine's /proc/cpuinfo and /proc/stat, kernel 6.x cgroup files).
 */
final class CpuFixtures {
    private CpuFixtures() {}

    /** Host uptime 1000.00 s; the container's init (pid 100) started at 400.00 s: 600 s = 60000 ticks ago. */
    static final String HOST_UPTIME = "1000.00 15000.00\n";
    static final long INIT_START_TICKS = 40000;

    /**
     * One x86 cpuinfo block of a host with 2 packages × 4 cores × 2 threads: CPU i is in package
     * (i / 4) % 2, core i % 4, thread i / 8 (so i and i + 8 are hyperthread siblings).
     */
    static String x86Block(int processor, int hostCpu, int siblings, int cores) {
        int pkg = (hostCpu / 4) % 2, core = hostCpu % 4, thread = hostCpu / 8;
        int apic = pkg * 16 + core * 2 + thread;
        return "processor\t: " + processor + "\n"
                + "vendor_id\t: GenuineIntel\n"
                + "cpu family\t: 6\n"
                + "model\t\t: 167\n"
                + "model name\t: Intel(R) Xeon(R) Processor\n"
                + "stepping\t: 1\n"
                + "microcode\t: 0x1\n"
                + "cpu MHz\t\t: 2599.998\n"
                + "cache size\t: 491520 KB\n"
                + "physical id\t: " + pkg + "\n"
                + "siblings\t: " + siblings + "\n"
                + "core id\t\t: " + core + "\n"
                + "cpu cores\t: " + cores + "\n"
                + "apicid\t\t: " + apic + "\n"
                + "initial apicid\t: " + apic + "\n"
                + "fpu\t\t: yes\n"
                + "fpu_exception\t: yes\n"
                + "cpuid level\t: 36\n"
                + "wp\t\t: yes\n"
                + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx lm constant_tsc avx2 avx512f\n"
                + "bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs retbleed bhi\n"
                + "bogomips\t: 5199.99\n"
                + "clflush size\t: 64\n"
                + "cache_alignment\t: 64\n"
                + "address sizes\t: 48 bits physical, 57 bits virtual\n"
                + "power management:\n"
                + "\n";
    }

    /** The 16-CPU host's /proc/cpuinfo. */
    static String x86Cpuinfo16() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) sb.append(x86Block(i, i, 8, 4));
        return sb.toString();
    }

    static final String STAT_TAIL = "intr 7869358 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 14 0 0 0 0 281 91 0 35\n"
            + "ctxt 56880799\n"
            + "btime 1795751732\n"
            + "processes 20374\n"
            + "procs_running 9\n"
            + "procs_blocked 2\n"
            + "softirq 1151519 0 66312 3 1446 57097 0 3 191376 0 835282\n";

    /** Host /proc/stat with {@code cpus} CPUs; CPU i's row is {@code 1000+i 7 2000+i 90000+i 40 0 18 18 0 0}. */
    static String hostStat(int cpus) {
        StringBuilder sb = new StringBuilder();
        long u = 0, s = 0, idle = 0;
        for (int i = 0; i < cpus; i++) {
            u += 1000 + i;
            s += 2000 + i;
            idle += 90000 + i;
        }
        sb.append("cpu  ").append(u).append(' ').append(7L * cpus).append(' ').append(s).append(' ').append(idle)
                .append(' ').append(40L * cpus).append(" 0 ").append(18L * cpus).append(' ').append(18L * cpus).append(" 0 0\n");
        for (int i = 0; i < cpus; i++) sb.append(hostCpuRow(i)).append('\n');
        return sb.append(STAT_TAIL).toString();
    }

    static String hostCpuRow(int i) {
        return "cpu" + i + " " + (1000 + i) + " 7 " + (2000 + i) + " " + (90000 + i) + " 40 0 18 18 0 0";
    }

    /** /proc/PID/stat of a process in {@code state} started {@code start} ticks after boot. */
    static String pidStat(int pid, String comm, char state, long start) {
        return pid + " (" + comm + ") " + state + " 1 " + pid + " " + pid + " 0 -1 4194560 1032 0 0 0 5 3 0 0 20 0 1 0 "
                + start + " 2605056 219 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    }

    /** A 16-CPU host (this machine's format) with the container's init (pid 100) started 600 s ago. */
    static FixtureHost host16(FixtureHost fx) {
        return fx.sys("devices/system/cpu/online", "0-15\n")
                .sys("devices/system/cpu/possible", "0-15\n")
                .sys("devices/system/cpu/present", "0-15\n")
                .sys("devices/system/cpu/offline", "\n")
                .proc("cpuinfo", x86Cpuinfo16())
                .proc("stat", hostStat(16))
                .proc("uptime", HOST_UPTIME)
                .proc("1/stat", pidStat(1, "systemd", 'S', 1))
                .proc("100/stat", pidStat(100, "sh", 'S', INIT_START_TICKS));
    }

    /** Sets the cpuset as the kernel shows it (v1 cpuset.cpus + effective_cpus, v2 cpuset.cpus + .effective). */
    static FixtureHost cpuset(FixtureHost fx, String path, String cpus) {
        if (fx.layout() == Layout.V2) {
            return fx.cgroup("", path, "cpuset.cpus", cpus + "\n").cgroup("", path, "cpuset.cpus.effective", cpus + "\n");
        }
        return fx.cgroup("cpuset", path, "cpuset.cpus", cpus + "\n").cgroup("cpuset", path, "cpuset.effective_cpus", cpus + "\n");
    }

    /** Sets a CFS quota (v2 cpu.max, v1 cfs_quota_us/cfs_period_us); quota < 0 = none. */
    static FixtureHost quota(FixtureHost fx, String path, long quotaUs, long periodUs) {
        if (fx.layout() == Layout.V2) {
            return fx.cgroup("", path, "cpu.max", (quotaUs < 0 ? "max" : String.valueOf(quotaUs)) + " " + periodUs + "\n");
        }
        return fx.cgroup("cpu", path, "cpu.cfs_quota_us", quotaUs + "\n").cgroup("cpu", path, "cpu.cfs_period_us", periodUs + "\n");
    }

    /**
     * Sets the container's CPU time: v2 cpu.stat (totals), v1 cpuacct.usage_all / usage_percpu /
     * stat / usage with user[i], system[i] ns on host CPU i.
     */
    static FixtureHost usage(FixtureHost fx, String path, long[] userNs, long[] systemNs) {
        long u = 0, s = 0;
        for (long v : userNs) u += v;
        for (long v : systemNs) s += v;
        if (fx.layout() == Layout.V2) {
            return fx.cgroup("", path, "cpu.stat", "usage_usec " + (u + s) / 1000 + "\nuser_usec " + u / 1000 + "\nsystem_usec "
                    + s / 1000 + "\nnice_usec 0\nnr_periods 120\nnr_throttled 3\nthrottled_usec 81234\nnr_bursts 0\nburst_usec 0\n");
        }
        StringBuilder all = new StringBuilder("cpu user system\n"), percpu = new StringBuilder();
        for (int i = 0; i < userNs.length; i++) {
            all.append(i).append(' ').append(userNs[i]).append(' ').append(systemNs[i]).append('\n');
            percpu.append(userNs[i] + systemNs[i]).append(' ');
        }
        return fx.cgroup("cpuacct", path, "cpuacct.usage_all", all.toString())
                .cgroup("cpuacct", path, "cpuacct.usage_percpu", percpu.append('\n').toString())
                .cgroup("cpuacct", path, "cpuacct.stat", "user " + u / 10_000_000 + "\nsystem " + s / 10_000_000 + "\n")
                .cgroup("cpuacct", path, "cpuacct.usage", (u + s) + "\n");
    }

    /** Lists processes in a cgroup's cgroup.procs (the cpu hierarchy on v1 and hybrid hosts). */
    static FixtureHost procs(FixtureHost fx, String path, String procs) {
        return fx.cgroup(fx.layout() == Layout.V2 ? "" : "cpu", path, "cgroup.procs", procs);
    }
}
