package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;
import org.jlxcfs.view.ViewOptions;
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
import static org.jlxcfs.view.files.CpuFixtures.HOST_UPTIME;
import static org.jlxcfs.view.files.CpuFixtures.cpuset;
import static org.jlxcfs.view.files.CpuFixtures.host16;
import static org.jlxcfs.view.files.CpuFixtures.quota;
import static org.jlxcfs.view.files.CpuFixtures.usage;

class UptimeFileTest {
    @TempDir
    Path tmp;

    private static String render(FixtureHost fx, Container c) throws Exception {
        return new String(new UptimeFile(fx.host(), ViewOptions.DEFAULTS).render(c), StandardCharsets.UTF_8);
    }

    /** Cpuset 0-3,8,10-11 (7 CPUs); 49 s user + 21 s system (7000 ticks), part of it on CPU 5. */
    private static FixtureHost container(FixtureHost fx, String path) {
        host16(fx);
        cpuset(fx, path, "0-3,8,10-11");
        long[] user = new long[16], system = new long[16];
        for (int i : new int[] {0, 1, 2, 3, 8, 10, 11}) {
            user[i] = (i + 1) * 1_000_000_000L;
            system[i] = (i + 1) * 500_000_000L;
        }
        user[5] = 7_000_000_000L;
        return usage(fx, path, user, system);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void sinceInitStartedWithIdleOverTheContainersCpus(Layout layout) throws Exception {
        FixtureHost fx = container(FixtureHost.of(layout, tmp), "/ctr");
        // 600 s since init; idle 7 CPUs × 600 s − 70 s
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 4130.00\n");
        // quota above the host's CPU count: still the 7 CPUs of the cpuset
        quota(fx, "/ctr", 2_400_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 4130.00\n");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void quotaBelowOneCpuAndUsageAboveIt(Layout layout) throws Exception {
        FixtureHost fx = container(FixtureHost.of(layout, tmp), "/ctr");
        quota(fx, "/ctr", 50_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 230.00\n");
        // 400 s busy in 600 s at 0.5 CPU (a cgroup reused by a restarted container): idle 0, not negative
        long[] user = new long[16];
        user[0] = 400_000_000_000L;
        usage(fx, "/ctr", user, new long[16]);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 0.00\n");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void hundredthsAndAPathWithSpaces(Layout layout) throws Exception {
        FixtureHost fx = container(FixtureHost.of(layout, tmp), "/kube pods/ctr 1").proc("uptime", "1000.07 15000.00\n");
        quota(fx, "/kube pods", 150_000, 100_000);
        // 600.07 s; 1.5 × 60007 = 90010 ticks − 7000
        assertThat(render(fx, fx.container("/kube pods/ctr 1"))).isEqualTo("600.07 830.10\n");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void hostPidNamespaceReadersGetTheHostFile(Layout layout) throws Exception {
        FixtureHost fx = container(FixtureHost.of(layout, tmp), "/ctr");
        Container c = fx.container("/ctr");
        assertThat(render(fx, new Container(c.pid(), 1, c.cgroups()))).isEqualTo(HOST_UPTIME);
    }

    @Test
    void initGoneGivesTheHostFile() throws Exception {
        FixtureHost fx = container(FixtureHost.v2(tmp), "/ctr");
        Files.delete(tmp.resolve("proc/100/stat"));
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(HOST_UPTIME);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void withoutAccountingTheHostsIdleAsStatShowsIt(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        // own pid namespace, host cgroups (unshare -p): stat is the host's, so is its idle total (Σ 90000+i)
        assertThat(render(fx, fx.container("/"))).isEqualTo("600.00 14401.20\n");
        // no cpuacct / cpu.stat for the container's cgroup: the host's idle of CPUs 0-3,8,10-11
        cpuset(fx, "/ctr", "0-3,8,10-11");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 6300.35\n");
    }

    /** The container: 0.5 CPU, busy a little above its quota between reads; idle 1.48 → 1.46 → 1.43 before. */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void idleNeverGoesBackwardsAndAlwaysEqualsStatsIdleTotal(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        quota(fx, "/ctr", 50_000, 100_000);
        CpuTimes times = new CpuTimes(fx.host(), ViewOptions.DEFAULTS);
        UptimeFile uptime = new UptimeFile(fx.host(), times);
        StatFile stat = new StatFile(fx.host(), times);
        Container c = fx.container("/ctr");
        List<String> idles = new ArrayList<>();
        long busyMs = 298_520; // 0.5 × 600 s − 1.48 s
        for (int i = 0; i < 6; i++) {
            fx.proc("uptime", String.format("%d.%02d 15000.00%n", 1000 + i / 2, i % 2 * 50));
            long[] user = new long[16];
            user[0] = busyMs * 1_000_000L;
            usage(fx, "/ctr", user, new long[16]);
            String u = new String(uptime.render(c), StandardCharsets.UTF_8);
            String[] cpu = new String(stat.render(c), StandardCharsets.UTF_8).lines().findFirst().orElseThrow().split(" +");
            // uptime idle seconds = stat's idle column / USER_HZ, in every read
            assertThat(u.strip().split(" ")[1]).isEqualTo(String.format("%d.%02d", Long.parseLong(cpu[4]) / 100, Long.parseLong(cpu[4]) % 100));
            idles.add(u.strip().split(" ")[1]);
            busyMs += 270; // 0.27 s busy per 0.5 s: above the 0.25 s of quota (bursts, rounding)
        }
        assertThat(idles).containsExactly("1.48", "1.48", "1.48", "1.48", "1.48", "1.48");
        // once the container idles, idle grows again from the mark
        fx.proc("uptime", "1010.00 15000.00\n");
        assertThat(render(fx, uptime, c)).isEqualTo("610.00 5.13\n");
    }

    private static String render(FixtureHost fx, UptimeFile f, Container c) throws Exception {
        return new String(f.render(c), StandardCharsets.UTF_8);
    }
}
