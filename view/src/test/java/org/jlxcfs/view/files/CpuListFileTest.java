package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.files.CpuListFile.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.view.files.CpuFixtures.cpuset;
import static org.jlxcfs.view.files.CpuFixtures.host16;
import static org.jlxcfs.view.files.CpuFixtures.quota;

class CpuListFileTest {
    @TempDir
    Path tmp;

    /** online, possible, present, offline, one per line. */
    private static String all(FixtureHost fx, Container c) throws Exception {
        return all(fx, c, ViewOptions.DEFAULTS);
    }

    private static String all(FixtureHost fx, Container c, ViewOptions options) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Kind k : Kind.values()) sb.append(new String(new CpuListFile(fx.host(), options, k).render(c), StandardCharsets.US_ASCII));
        return sb.toString();
    }

    @Test
    void paths() {
        FixtureHost fx = FixtureHost.v2(tmp);
        assertThat(new CpuListFile(fx.host(), ViewOptions.DEFAULTS, Kind.ONLINE).path()).isEqualTo("sys/devices/system/cpu/online");
        assertThat(new CpuListFile(fx.host(), ViewOptions.DEFAULTS, Kind.POSSIBLE).path()).isEqualTo("sys/devices/system/cpu/possible");
        assertThat(new CpuListFile(fx.host(), ViewOptions.DEFAULTS, Kind.PRESENT).path()).isEqualTo("sys/devices/system/cpu/present");
        assertThat(new CpuListFile(fx.host(), ViewOptions.DEFAULTS, Kind.OFFLINE).path()).isEqualTo("sys/devices/system/cpu/offline");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void sparseCpusetIsRenumbered(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        cpuset(fx, "/ctr", "0-3,8,10-11");
        assertThat(all(fx, fx.container("/ctr"))).isEqualTo("0-6\n0-6\n0-6\n\n");
        quota(fx, "/ctr", 2_400_000, 100_000);
        assertThat(all(fx, fx.container("/ctr"))).isEqualTo("0-6\n0-6\n0-6\n\n");
        quota(fx, "/ctr", 250_000, 100_000);
        assertThat(all(fx, fx.container("/ctr"))).isEqualTo("0-2\n0-2\n0-2\n\n");
        // quota counting off: the cpuset
        assertThat(all(fx, fx.container("/ctr"), new ViewOptions(true, false, true, true))).isEqualTo("0-6\n0-6\n0-6\n\n");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void quotaBelowOneCpuIsOneCpu(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        quota(fx, "/kube pods/ctr 1", 50_000, 100_000);
        assertThat(all(fx, fx.container("/kube pods/ctr 1"))).isEqualTo("0\n0\n0\n\n");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void everyHostCpuGivesTheHostFiles(Layout layout) throws Exception {
        // a host with 32 possible CPUs, 2 of them offline
        FixtureHost fx = host16(FixtureHost.of(layout, tmp)).sys("devices/system/cpu/online", "0-13\n")
                .sys("devices/system/cpu/possible", "0-31\n").sys("devices/system/cpu/present", "0-15\n")
                .sys("devices/system/cpu/offline", "14-31\n");
        String host = "0-13\n0-31\n0-15\n14-31\n";
        assertThat(all(fx, fx.container("/"))).isEqualTo(host);
        quota(fx, "/ctr", 3_200_000, 100_000);
        assertThat(all(fx, fx.container("/ctr"))).isEqualTo(host);
    }
}
