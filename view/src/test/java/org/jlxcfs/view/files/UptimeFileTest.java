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
    void withoutAccountingTheHostsIdleProRata(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        // own pid namespace, host cgroups (unshare -p): 15000 s × 600 / 1000 of the host's idle
        assertThat(render(fx, fx.container("/"))).isEqualTo("600.00 9000.00\n");
        // no cpuacct / cpu.stat for the container's cgroup: at most 7 CPUs × 600 s
        cpuset(fx, "/ctr", "0-3,8,10-11");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("600.00 4200.00\n");
    }
}
