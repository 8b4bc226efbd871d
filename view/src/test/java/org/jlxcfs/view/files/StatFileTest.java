package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.TaskFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.view.files.CpuFixtures.STAT_TAIL;
import static org.jlxcfs.view.files.CpuFixtures.cpuset;
import static org.jlxcfs.view.files.CpuFixtures.host16;
import static org.jlxcfs.view.files.CpuFixtures.hostCpuRow;
import static org.jlxcfs.view.files.CpuFixtures.hostStat;
import static org.jlxcfs.view.files.CpuFixtures.pidStat;
import static org.jlxcfs.view.files.CpuFixtures.quota;
import static org.jlxcfs.view.files.CpuFixtures.procs;
import static org.jlxcfs.view.files.CpuFixtures.usage;

class StatFileTest {
    @TempDir
    Path tmp;

    private static String render(StatFile f, Container c) throws Exception {
        return new String(f.render(c), StandardCharsets.UTF_8);
    }

    private static String render(FixtureHost fx, Container c) throws Exception {
        return render(new StatFile(fx.host(), ViewOptions.DEFAULTS), c);
    }

    /** STAT_TAIL with the container's task counts. */
    private static String tail(int running, int blocked) {
        return STAT_TAIL.replace("procs_running 9", "procs_running " + running).replace("procs_blocked 2", "procs_blocked " + blocked);
    }

    private static final int[] CPUSET = {0, 1, 2, 3, 8, 10, 11};

    /**
     * On each CPU i of the cpuset "0-3,8,10-11": user (i+1) s, system (i+1)/2 s; and 7 s of user
     * on CPU 5, outside the cpuset (the container ran there before its cpuset changed).
     * Totals: user 49 s (4900 ticks), system 21 s (2100 ticks).
     */
    private static FixtureHost sparseContainer(FixtureHost fx, String path) {
        host16(fx);
        cpuset(fx, path, "0-3,8,10-11");
        long[] user = new long[16], system = new long[16];
        for (int i : CPUSET) {
            user[i] = (i + 1) * 1_000_000_000L;
            system[i] = (i + 1) * 500_000_000L;
        }
        user[5] = 7_000_000_000L;
        procs(fx, path, "100\n"); // its init, asleep
        return usage(fx, path, user, system);
    }

    /** Threads 100 (S), 130 (R) and 131 (D) of process 130, 140 (R, in a sub-cgroup), 150 (listed, exited). */
    private static void containerTasks(FixtureHost fx, String path) {
        procs(fx, path, "100\n130\n");
        procs(fx, path + "/sub", "140\n150\n");
        TaskFixtures.process(fx, 100, "sh", "100\t1", CpuFixtures.INIT_START_TICKS, 'S');
        TaskFixtures.process(fx, 130, "java", "130\t7", 41000, 'R', 'D');
        TaskFixtures.process(fx, 140, "nginx: worker (x)", "140\t9", 42000, 'R');
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void containersOwnCpuTimeOnItsRenumberedCpus(Layout layout) throws Exception {
        FixtureHost fx = sparseContainer(FixtureHost.of(layout, tmp), "/ctr");
        containerTasks(fx, "/ctr");
        // 7 CPUs × 600 s = 420000 ticks of capacity, 7000 busy: idle 413000, 59000 per CPU.
        String expected = layout == Layout.V2
                // cpu.stat has totals only: spread evenly
                ? """
                cpu  4900 0 2100 413000 0 0 0 0 0 0
                cpu0 700 0 300 59000 0 0 0 0 0 0
                cpu1 700 0 300 59000 0 0 0 0 0 0
                cpu2 700 0 300 59000 0 0 0 0 0 0
                cpu3 700 0 300 59000 0 0 0 0 0 0
                cpu4 700 0 300 59000 0 0 0 0 0 0
                cpu5 700 0 300 59000 0 0 0 0 0 0
                cpu6 700 0 300 59000 0 0 0 0 0 0
                """
                // cpuacct.usage_all per CPU; CPU 5's 7 s spread as 1 s per row
                : """
                cpu  4900 0 2100 413000 0 0 0 0 0 0
                cpu0 200 0 50 59000 0 0 0 0 0 0
                cpu1 300 0 100 59000 0 0 0 0 0 0
                cpu2 400 0 150 59000 0 0 0 0 0 0
                cpu3 500 0 200 59000 0 0 0 0 0 0
                cpu4 1000 0 450 59000 0 0 0 0 0 0
                cpu5 1200 0 550 59000 0 0 0 0 0 0
                cpu6 1300 0 600 59000 0 0 0 0 0 0
                """;
        // R: 130, 140 (+1 for the reader); D: 131
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected + tail(3, 1));
        // a quota above the host's 16 CPUs changes nothing
        quota(fx, "/ctr", 2_400_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected + tail(3, 1));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void quotaBelowOneCpu(Layout layout) throws Exception {
        FixtureHost fx = sparseContainer(FixtureHost.of(layout, tmp), "/ctr");
        quota(fx, "/ctr", 50_000, 100_000);
        // one CPU; 0.5 × 60000 − 7000 = 23000 idle; no tasks listed: only the reader runs
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("""
                cpu  4900 0 2100 23000 0 0 0 0 0 0
                cpu0 4900 0 2100 23000 0 0 0 0 0 0
                """ + tail(1, 0));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void cgroupPathWithSpaces(Layout layout) throws Exception {
        FixtureHost fx = sparseContainer(FixtureHost.of(layout, tmp), "/kube pods/ctr 1");
        quota(fx, "/kube pods", 150_000, 100_000);
        // two CPUs, 1.5 CPUs of capacity: 90000 − 7000 = 83000 idle
        String rows = layout == Layout.V2 ? """
                cpu  4900 0 2100 83000 0 0 0 0 0 0
                cpu0 2450 0 1050 41500 0 0 0 0 0 0
                cpu1 2450 0 1050 41500 0 0 0 0 0 0
                """ : """
                cpu  4900 0 2100 83000 0 0 0 0 0 0
                cpu0 2400 0 1025 41500 0 0 0 0 0 0
                cpu1 2500 0 1075 41500 0 0 0 0 0 0
                """;
        // v1: CPU 0 (1 s + 0.5 s) and CPU 1 (2 s + 1 s) keep their own; the other 46 s + 19.5 s spread
        assertThat(render(fx, fx.container("/kube pods/ctr 1"))).isEqualTo(rows + tail(1, 0));
    }

    @Test
    void usagePercpuIsSplitByCpuacctStatNotCountedTwice() throws Exception {
        FixtureHost fx = sparseContainer(FixtureHost.v1(tmp), "/ctr");
        Files.delete(fx.cgroupDir("cpuacct", "/ctr").resolve("cpuacct.usage_all"));
        // cpuacct.stat: user 4900, system 2100 → 70% user on every CPU
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("""
                cpu  4900 0 2100 413000 0 0 0 0 0 0
                cpu0 175 0 75 59000 0 0 0 0 0 0
                cpu1 280 0 120 59000 0 0 0 0 0 0
                cpu2 385 0 165 59000 0 0 0 0 0 0
                cpu3 490 0 210 59000 0 0 0 0 0 0
                cpu4 1015 0 435 59000 0 0 0 0 0 0
                cpu5 1225 0 525 59000 0 0 0 0 0 0
                cpu6 1330 0 570 59000 0 0 0 0 0 0
                """ + tail(1, 0));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void withoutCpuAccountingTheHostRowsOfTheShownCpus(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        cpuset(fx, "/ctr", "0-3,8,10-11");
        procs(fx, "/ctr", "100\n");
        StringBuilder expected = new StringBuilder("cpu  7035 49 14035 630035 280 0 126 126 0 0\n");
        for (int k = 0; k < CPUSET.length; k++) expected.append(hostCpuRow(CPUSET[k]).replaceFirst("^cpu\\d+", "cpu" + k)).append('\n');
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected + tail(1, 0));
    }

    @Test
    void onlyTheCpusetBelowTheRootShowsTheHostsRowsAndTaskCounts() throws Exception {
        FixtureHost fx = host16(FixtureHost.v1(tmp));
        cpuset(fx, "/lxc/c1", "0-3,8,10-11");
        long[] all = new long[16];
        java.util.Arrays.fill(all, 9_000_000_000_000L);
        usage(fx, "/", all, all); // the root's accounting is the whole host's: not the container's
        Container c = new Container(100, 100, new org.jlxcfs.view.cgroup.ContainerCgroups(fx.cgroupLayout(),
                java.util.Map.of("cpuset", "/lxc/c1", "cpu", "/", "cpuacct", "/", "memory", "/lxc/c1"), null));
        StringBuilder expected = new StringBuilder("cpu  7035 49 14035 630035 280 0 126 126 0 0\n");
        for (int k = 0; k < CPUSET.length; k++) expected.append(hostCpuRow(CPUSET[k]).replaceFirst("^cpu\\d+", "cpu" + k)).append('\n');
        assertThat(render(fx, c)).isEqualTo(expected + STAT_TAIL);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void rootCgroupsGetTheHostFile(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        usage(fx, "/", new long[16], new long[16]);
        assertThat(render(fx, fx.container("/"))).isEqualTo(hostStat(16));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void idleNeverDecreasesAndFollowsTheQuota(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        quota(fx, "/ctr", 200_000, 100_000);
        StatFile stat = new StatFile(fx.host(), ViewOptions.DEFAULTS);
        Container c = fx.container("/ctr");
        List<String> cpuLines = new ArrayList<>();
        // 600 s, 120 s busy: 2 × 60000 − 12000
        usage(fx, "/ctr", cpu0(100), cpu0(20));
        cpuLines.add(render(stat, c).lines().findFirst().orElseThrow());
        // +10 s, +20 s busy (all of the quota): idle stays, top shows 100%
        fx.proc("uptime", "1010.00 15100.00\n");
        usage(fx, "/ctr", cpu0(120), cpu0(20));
        cpuLines.add(render(stat, c).lines().findFirst().orElseThrow());
        // +10 s, nothing busy: +20 s idle, top shows 0%
        fx.proc("uptime", "1020.00 15200.00\n");
        cpuLines.add(render(stat, c).lines().findFirst().orElseThrow());
        // quota cut to 0.5: the formula gives 31500 − 14000, far below what was shown; idle holds
        fx.proc("uptime", "1030.00 15300.00\n");
        quota(fx, "/ctr", 50_000, 100_000);
        cpuLines.add(render(stat, c).lines().findFirst().orElseThrow());
        // a fresh instance (daemon restart) shows the formula again, never a negative value
        usage(fx, "/ctr", cpu0(400), cpu0(20));
        cpuLines.add(render(new StatFile(fx.host(), ViewOptions.DEFAULTS), c).lines().findFirst().orElseThrow());
        assertThat(cpuLines).containsExactly(
                "cpu  10000 0 2000 108000 0 0 0 0 0 0",
                "cpu  12000 0 2000 108000 0 0 0 0 0 0",
                "cpu  12000 0 2000 110000 0 0 0 0 0 0",
                "cpu  12000 0 2000 110000 0 0 0 0 0 0",
                "cpu  40000 0 2000 0 0 0 0 0 0 0");
        // the per-CPU rows of the quota-2 reads are monotonic too: 54000/54000 then 55000/55000
    }

    @Test
    void idleHighWaterIsPerContainerAndBounded() throws Exception {
        FixtureHost fx = host16(FixtureHost.v2(tmp));
        CpuTimes times = new CpuTimes(fx.host(), ViewOptions.DEFAULTS, 8);
        StatFile stat = new StatFile(fx.host(), times);
        Container a = initAt(fx, "/a", 201), b = initAt(fx, "/b", 202);
        quota(fx, "/a", 100_000, 100_000);
        quota(fx, "/b", 100_000, 100_000);
        usage(fx, "/a", cpu0(0), cpu0(0));
        usage(fx, "/b", cpu0(0), cpu0(0));
        assertThat(render(stat, a)).startsWith("cpu  0 0 0 60000 ");
        quota(fx, "/a", 50_000, 100_000);
        assertThat(render(stat, a)).startsWith("cpu  0 0 0 60000 ");
        // /b has its own mark
        quota(fx, "/b", 50_000, 100_000);
        assertThat(render(stat, b)).startsWith("cpu  0 0 0 30000 ");
        // reading many other containers evicts /a's mark, least recently read first
        for (int i = 0; i < 8; i++) {
            usage(fx, "/x" + i, cpu0(0), cpu0(0));
            render(stat, initAt(fx, "/x" + i, 300 + i));
        }
        assertThat(times.tracked()).isEqualTo(8);
        assertThat(render(stat, a)).startsWith("cpu  0 0 0 30000 ");
    }

    @Test
    void aContainerHoldsOneMarkWhateverCgroupsItUsesAndARecycledPidStartsAfresh() throws Exception {
        FixtureHost fx = host16(FixtureHost.v2(tmp));
        CpuTimes times = new CpuTimes(fx.host(), ViewOptions.DEFAULTS, 8);
        StatFile stat = new StatFile(fx.host(), times);
        Container a = initAt(fx, "/a", 201);
        quota(fx, "/a", 100_000, 100_000);
        usage(fx, "/a", cpu0(0), cpu0(0));
        assertThat(render(stat, a)).startsWith("cpu  0 0 0 60000 ");
        // its init moves through many sub-cgroups (delegated v2): still one mark, nobody evicted
        Container other = initAt(fx, "/other", 202);
        usage(fx, "/other", cpu0(0), cpu0(0));
        render(stat, other);
        for (int i = 0; i < 20; i++) {
            usage(fx, "/a/s" + i, cpu0(0), cpu0(0));
            render(stat, new Container(201, 201, CpuFixtures.INIT_START_TICKS, fx.container("/a/s" + i).cgroups()));
        }
        assertThat(times.tracked()).isEqualTo(2);
        // back in /a: its counters are not the sub-cgroup's, so the formula starts afresh
        quota(fx, "/a", 50_000, 100_000);
        assertThat(render(stat, a)).startsWith("cpu  0 0 0 30000 ");
        // pid 201 recycled by another container's init, started later: not the old mark
        quota(fx, "/a", 100_000, 100_000);
        render(stat, a);
        quota(fx, "/a", 50_000, 100_000);
        fx.proc("201/stat", pidStat(201, "init", 'S', CpuFixtures.INIT_START_TICKS + 100));
        assertThat(render(stat, fx.container("/a", 201))).startsWith("cpu  0 0 0 29950 ");
    }

    /** A container at {@code path} whose init is {@code pid}, started with the fixture's init. */
    private static Container initAt(FixtureHost fx, String path, int pid) {
        fx.proc(pid + "/stat", pidStat(pid, "init", 'S', CpuFixtures.INIT_START_TICKS));
        return fx.container(path, pid);
    }

    @Test
    void initStartUnreadableCountsFromBoot() throws Exception {
        FixtureHost fx = sparseContainer(FixtureHost.v2(tmp), "/ctr");
        Files.delete(tmp.resolve("proc/100/stat"));
        // 7 × 100000 − 7000
        assertThat(render(fx, fx.container("/ctr"))).startsWith("cpu  4900 0 2100 693000 0 0 0 0 0 0\ncpu0 700 0 300 99000 ");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void twoHundredFiftySixCpusAreNeverTruncated(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp)).sys("devices/system/cpu/online", "0-255\n").proc("stat", hostStat(256));
        cpuset(fx, "/ctr", "128-255");
        procs(fx, "/ctr", "100\n");
        long[] user = new long[256], system = new long[256];
        java.util.Arrays.fill(user, 1_000_000_000L);
        java.util.Arrays.fill(system, 500_000_000L);
        usage(fx, "/ctr", user, system);
        // each row: its own 1 s + 0.5 s and 1/128 of the 128 s + 64 s spent on CPUs 0-127
        // idle: 128 × 60000 − 38400 = 7641600, 59700 per CPU
        StringBuilder expected = new StringBuilder("cpu  25600 0 12800 7641600 0 0 0 0 0 0\n");
        for (int k = 0; k < 128; k++) expected.append("cpu").append(k).append(" 200 0 100 59700 0 0 0 0 0 0\n");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected + tail(1, 0));
        // and the 256-CPU host file passes whole for the host's own cgroups
        assertThat(render(fx, fx.container("/"))).isEqualTo(hostStat(256));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void everyOnlineCpuKeepsTheHostIds(Layout layout) throws Exception {
        // cpuset = every online CPU (0,2-3: CPU 1 is offline): named as cpuinfo and online name them
        FixtureHost fx = FixtureHost.of(layout, tmp).sys("devices/system/cpu/online", "0,2-3\n")
                .proc("stat", "cpu  1 0 1 1 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu2 0 0 0 0 0 0 0 0 0 0\ncpu3 0 0 0 0 0 0 0 0 0 0\n" + STAT_TAIL)
                .proc("uptime", CpuFixtures.HOST_UPTIME).proc("100/stat", pidStat(100, "init", 'S', CpuFixtures.INIT_START_TICKS));
        long[] user = {3_000_000_000L, 0, 0, 0}, system = {0, 0, 0, 0};
        usage(fx, "/ctr", user, system);
        procs(fx, "/ctr", "100\n");
        String rows = layout == Layout.V2 ? """
                cpu  300 0 0 179700 0 0 0 0 0 0
                cpu0 100 0 0 59900 0 0 0 0 0 0
                cpu2 100 0 0 59900 0 0 0 0 0 0
                cpu3 100 0 0 59900 0 0 0 0 0 0
                """ : """
                cpu  300 0 0 179700 0 0 0 0 0 0
                cpu0 300 0 0 59900 0 0 0 0 0 0
                cpu2 0 0 0 59900 0 0 0 0 0 0
                cpu3 0 0 0 59900 0 0 0 0 0 0
                """;
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(rows + tail(1, 0));
    }

    /** A 16-CPU usage array with {@code seconds} on CPU 0. */
    private static long[] cpu0(long seconds) {
        long[] a = new long[16];
        a[0] = seconds * 1_000_000_000L;
        return a;
    }
}
