package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.ViewOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.view.cgroup.TaskFixtures.process;
import static org.jlxcfs.view.cgroup.TaskFixtures.setStates;
import static org.jlxcfs.view.cgroup.TaskFixtures.status;

class LoadavgTest {
    static final String HOST_LOADAVG = "0.46 1.51 1.18 1/86 20334\n";

    @TempDir
    Path tmp;

    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    /**
     * A container in /ctr with processes in sub-cgroups down to 4 levels:
     * init 4000 (ns 1, S), java 4100 (ns 27, threads R R S), a D-state writer 4200 four levels
     * deep (ns 35), a process of a nested pid namespace 4300 (ns 40 in the container, 2 inside),
     * and a process entered from the host (no container pid: must not show as last pid).
     */
    FixtureHost busyContainer(FixtureHost.Layout layout) {
        FixtureHost fx = FixtureHost.of(layout, tmp.resolve(layout.name())).proc("loadavg", HOST_LOADAVG)
                .cgroup("cpu", "/ctr", "cgroup.procs", "4000\n4100\n4500\n")
                .cgroup("cpu", "/ctr/a", "cgroup.procs", "")
                .cgroup("cpu", "/ctr/a/b/c/d", "cgroup.procs", "4200\n")
                .cgroup("cpu", "/ctr/nested", "cgroup.procs", "4300\n")
                .cgroup("cpu", "/other", "cgroup.procs", "5000\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        process(fx, 4100, "java", "4100\t27", 1200, 'R', 'R', 'S');
        process(fx, 4200, "dd", "4200\t35", 1300, 'D');
        process(fx, 4300, "sandbox", "4300\t40\t2", 1400, 'S');
        process(fx, 4500, "nsenter", "4500", 1500, 'R');
        process(fx, 5000, "other", "5000\t1", 900, 'R');
        return fx;
    }

    LoadavgSampler sampler(FixtureHost fx) {
        return new LoadavgSampler(fx.host(), Duration.ofSeconds(5), Duration.ofMinutes(10), clock::get);
    }

    static String render(LoadavgFile f, Container c) throws IOException {
        return new String(f.render(c), StandardCharsets.US_ASCII);
    }

    // ---- tests ----

    @ParameterizedTest
    @EnumSource(FixtureHost.Layout.class)
    void firstReadShowsTheCountsOfThatMomentWithZeroAverages(FixtureHost.Layout layout) throws IOException {
        FixtureHost fx = busyContainer(layout);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            // R: 2 java threads + the host-entered process; D not in field 4; total 1+3+1+1+1 threads;
            // last pid 40: the sandbox's pid in the container (not 2, its innermost, nor a host pid)
            assertThat(render(f, fx.container("/ctr", 4000))).isEqualTo("0.00 0.00 0.00 3/7 40\n");
            assertThat(s.size()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(FixtureHost.Layout.class)
    void loadRisesWithActiveTasksAndCountsUninterruptibleOnes(FixtureHost.Layout layout) throws IOException {
        FixtureHost fx = busyContainer(layout);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            render(f, c);
            // active = 3 R + 1 D = 4
            s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("0.32 0.07 0.02 3/7 40\n");
            // 3 active: the nsenter'd process sleeps now
            setStates(fx, 4500, "nsenter", 1500, 'S');
            clock.addAndGet(Duration.ofSeconds(5).toNanos());
            for (int i = 1; i < 12; i++) s.sampleOnce();
            assertThat(render(f, c)).startsWith("1.9").endsWith(" 2/7 40\n");
        }
    }

    @Test
    void followsTheKernelsFixedPointSequenceExactly() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("loadavg", HOST_LOADAVG).cgroup("", "/ctr", "cgroup.procs", "4000\n4100\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        process(fx, 4100, "stress", "4100\t2", 1100, 'R', 'R', 'R');
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            assertThat(render(f, c)).isEqualTo("0.00 0.00 0.00 3/4 2\n");
            // values computed independently with the kernel's calc_load (FSHIFT 11, EXP 1884/2014/2037)
            String[] expected = {"0.24 0.05 0.02", "0.46 0.10 0.03", "0.66 0.15 0.05", "0.85 0.19 0.06", "1.02 0.24 0.08",
                    "1.18 0.29 0.10", "1.33 0.33 0.11", "1.46 0.38 0.13", "1.59 0.42 0.14", "1.70 0.46 0.16", "1.80 0.51 0.17",
                    "1.90 0.55 0.19"};
            for (String e : expected) {
                s.sampleOnce();
                assertThat(render(f, c)).isEqualTo(e + " 3/4 2\n");
            }
            for (int i = 12; i < 199; i++) s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("3.00 2.91 2.00 3/4 2\n");
            // all asleep: decays to exactly 0 (the kernel rounds down while falling)
            setStates(fx, 4100, "stress", 1100, 'S', 'S', 'S');
            s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("2.76 2.86 1.99 0/4 2\n");
            for (int i = 1; i < 12; i++) s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("1.10 2.38 1.87 0/4 2\n");
            int passes = 12;
            while (!render(f, c).startsWith("0.00 0.00 0.00") && passes < 5000) {
                s.sampleOnce();
                passes++;
            }
            // 0.00 once the 15-minute value is below 10/2048 (exactly 0 ten passes later)
            assertThat(passes).isEqualTo(676);
            assertThat(render(f, c)).isEqualTo("0.00 0.00 0.00 0/4 2\n");
        }
    }

    @Test
    void uninterruptibleTasksAreLoadButNotRunning() throws IOException {
        FixtureHost fx = FixtureHost.hybrid(tmp).proc("loadavg", HOST_LOADAVG).cgroup("cpu", "/ctr", "cgroup.procs", "4000\n4100\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        process(fx, 4100, "fsync (worker)", "4100\t9", 1100, 'D', 'D', 'S', 'Z', 'I');
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            assertThat(render(f, c)).isEqualTo("0.00 0.00 0.00 0/6 9\n");
            s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("0.16 0.03 0.01 0/6 9\n");
        }
    }

    @Test
    void lateTicksAreFoldedInWithTheCurrentCount() {
        long a1 = 0, a5 = 0, a15 = 0;
        for (int i = 0; i < 3; i++) {
            a1 = LoadavgSampler.calcLoad(a1, LoadavgSampler.EXP_1, LoadavgSampler.FIXED_1);
            a5 = LoadavgSampler.calcLoad(a5, LoadavgSampler.EXP_5, LoadavgSampler.FIXED_1);
            a15 = LoadavgSampler.calcLoad(a15, LoadavgSampler.EXP_15, LoadavgSampler.FIXED_1);
        }
        assertThat(new LoadavgSampler.Load(a1, a5, a15, 1, 1, 1).format()).isEqualTo("0.22 0.05 0.02 1/1 1\n");
        assertThat(new LoadavgSampler.Load(0, 10 * 2048 + 2047, 123 * 2048, 0, 0, 0).format()).isEqualTo("0.00 11.00 123.00 0/0 0\n");
    }

    @Test
    void vanishedCgroupsAreDropped() throws IOException {
        FixtureHost fx = busyContainer(FixtureHost.Layout.V1);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            render(f, fx.container("/ctr", 4000));
            render(f, fx.container("/other", 5000));
            assertThat(s.size()).isEqualTo(2);
            deleteTree(fx.cgroupDir("cpu", "/ctr"));
            s.sampleOnce();
            assertThat(s.size()).isEqualTo(1);
            // a reader still resolved to the removed cgroup gets the host's file
            assertThat(render(f, fx.container("/ctr", 4000))).isEqualTo(HOST_LOADAVG);
            assertThat(s.size()).isEqualTo(1);
            assertThat(render(f, fx.container("/other", 5000))).isEqualTo("0.08 0.02 0.01 1/1 1\n");
        }
    }

    @Test
    void anEmptyButLivingCgroupStaysAndDecays() throws IOException {
        FixtureHost fx = busyContainer(FixtureHost.Layout.V2);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/other", 5000);
            render(f, c);
            s.sampleOnce();
            fx.cgroup("", "/other", "cgroup.procs", "");
            s.sampleOnce();
            assertThat(s.size()).isEqualTo(1);
            assertThat(render(f, c)).isEqualTo("0.07 0.02 0.00 0/0 0\n");
        }
    }

    @Test
    void containersNotReadForTenMinutesAreDropped() throws IOException {
        FixtureHost fx = busyContainer(FixtureHost.Layout.V2);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            render(f, fx.container("/ctr", 4000));
            render(f, fx.container("/other", 5000));
            clock.addAndGet(Duration.ofMinutes(9).toNanos());
            render(f, fx.container("/other", 5000));
            s.sampleOnce();
            assertThat(s.size()).isEqualTo(2);
            clock.addAndGet(Duration.ofMinutes(2).toNanos());
            s.sampleOnce();
            assertThat(s.size()).as("/ctr was last read 11 minutes ago").isEqualTo(1);
            // read again: a new start, from 0
            assertThat(render(f, fx.container("/ctr", 4000))).isEqualTo("0.00 0.00 0.00 3/7 40\n");
        }
    }

    @ParameterizedTest
    @EnumSource(FixtureHost.Layout.class)
    void rootCgroupAndSwitchedOffAreTheHostsFile(FixtureHost.Layout layout) throws IOException {
        FixtureHost fx = busyContainer(layout);
        try (LoadavgSampler s = sampler(fx)) {
            assertThat(render(new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s), fx.container("/", 1))).isEqualTo(HOST_LOADAVG);
            assertThat(render(new LoadavgFile(fx.host(), new ViewOptions(true, true, false, true), s), fx.container("/ctr", 4000)))
                    .isEqualTo(HOST_LOADAVG);
            assertThat(s.size()).isZero();
        }
    }

    @Test
    void pathsWithSpacesAndOddCommandNames() throws IOException {
        FixtureHost fx = FixtureHost.v1(tmp).proc("loadavg", HOST_LOADAVG)
                .cgroup("cpu", "/my pod/ctr 1", "cgroup.procs", "4000\n4100\n")
                .cgroup("cpu", "/my pod/ctr 1/sub cg", "cgroup.procs", "4100\n4200\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        process(fx, 4100, "a) R (b", "4100\t3", 1100, 'S', 'S');
        process(fx, 4200, ") D", "4200\t4", 1100, 'R');
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            // 4100 listed twice counts once
            assertThat(render(f, fx.container("/my pod/ctr 1", 4000))).isEqualTo("0.00 0.00 0.00 1/4 4\n");
        }
    }

    @Test
    void garbageNeverGivesNegativeNumbers() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("loadavg", HOST_LOADAVG)
                .cgroup("", "/ctr", "cgroup.procs", "4000\n-7\nabc\n99999999999999999999\n4100\n\n4600\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        fx.proc("4100/stat", "4100 (truncated");           // no closing paren
        fx.proc("4100/status", "Name:\tx\n");               // no NSpid
        fx.proc("4600/stat", "4600 (x) R 1 2 3\n");           // short line: no thread count, no start time
        fx.proc("4600/status", "Name:\tx\nNSpid:\t4600\tx\n"); // not visible in the container's namespace
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            assertThat(render(f, c)).isEqualTo("0.00 0.00 0.00 1/2 1\n");
            s.sampleOnce();
            s.sampleOnce();
            assertThat(render(f, c)).isEqualTo("0.15 0.03 0.01 1/2 1\n");
        }
    }

    @Test
    void lastPidIsReadOncePerProcessAndRereadWhenAPidIsReused() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("loadavg", HOST_LOADAVG).cgroup("", "/ctr", "cgroup.procs", "4000\n4100\n");
        process(fx, 4000, "init", "4000\t1", 1000, 'S');
        process(fx, 4100, "app", "4100\t12", 1100, 'S');
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            render(f, c);
            s.sampleOnce();
            // the status file changes but the process (same start time) is the same: cached value
            fx.proc("4100/status", status("app", 4100, "4100\t99"));
            s.sampleOnce();
            assertThat(render(f, c)).endsWith(" 12\n");
            // host pid 4100 reused by a new process (other start time): read again
            process(fx, 4100, "app", "4100\t13", 2100, 'S');
            s.sampleOnce();
            assertThat(render(f, c)).endsWith(" 13\n");
        }
    }

    @Test
    void theThreadSamplesOnItsOwnAndStopsOnClose() throws Exception {
        FixtureHost fx = busyContainer(FixtureHost.Layout.V2);
        LoadavgSampler s = new LoadavgSampler(fx.host(), Duration.ofMillis(20), Duration.ofMinutes(10), System::nanoTime).start();
        try {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            Container c = fx.container("/ctr", 4000);
            assertThat(render(f, c)).startsWith("0.00 0.00 0.00");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (render(f, c).startsWith("0.00 ") && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(render(f, c)).doesNotStartWith("0.00 ");
        } finally {
            s.close();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("jlxcfs-loadavg"));
    }

    @Test
    void onePassOver300Containers() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("loadavg", HOST_LOADAVG);
        try (LoadavgSampler s = sampler(fx)) {
            LoadavgFile f = new LoadavgFile(fx.host(), ViewOptions.DEFAULTS, s);
            int pid = 10_000;
            for (int i = 0; i < 300; i++) {
                String cg = "/kubepods/pod" + i + "/ctr";
                int init = pid;
                fx.cgroup("", cg, "cgroup.procs", pid + "\n" + (pid + 10) + "\n");
                fx.cgroup("", cg + "/sub", "cgroup.procs", (pid + 20) + "\n");
                process(fx, pid, "init", pid + "\t1", 100, 'S');
                process(fx, pid + 10, "java", (pid + 10) + "\t7", 100, 'R', 'S', 'S', 'S', 'S', 'S', 'S', 'D');
                process(fx, pid + 20, "sh", (pid + 20) + "\t9", 100, 'S');
                render(f, fx.container(cg, init));
                pid += 100;
            }
            assertThat(s.size()).isEqualTo(300);
            s.sampleOnce(); // warm up (and fill the namespace pid caches)
            var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long best = Long.MAX_VALUE, allocated = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long b0 = mx.getThreadAllocatedBytes(tid);
                long t0 = System.nanoTime();
                s.sampleOnce();
                best = Math.min(best, System.nanoTime() - t0);
                allocated = Math.min(allocated, mx.getThreadAllocatedBytes(tid) - b0);
            }
            System.out.printf("loadavg: one pass over 300 containers (900 processes, 3000 threads): %.1f ms, %d KiB allocated%n",
                    best / 1e6, allocated / 1024);
            assertThat(render(f, fx.container("/kubepods/pod299/ctr", pid - 100))).isEqualTo("0.79 0.19 0.06 1/10 9\n");
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
