package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.FixtureHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuUsageTest {
    @TempDir
    Path tmp;

    @Test
    void v2CpuStatTotals() throws Exception {
        FixtureHost fx = FixtureHost.v2(tmp).cgroup("", "/ctr", "cpu.stat", """
                usage_usec 979909819
                user_usec 341044783
                system_usec 638865035
                nice_usec 0
                nr_periods 0
                nr_throttled 0
                throttled_usec 0
                nr_bursts 0
                burst_usec 0
                """);
        CpuUsage u = CpuUsage.read(fx.container("/ctr").cgroups().cpuAccounting().orElseThrow()).orElseThrow();
        assertThat(u.userNs()).isEqualTo(341_044_783_000L);
        assertThat(u.systemNs()).isEqualTo(638_865_035_000L);
        assertThat(u.hasPerCpu()).isFalse();
        assertThat(u.userNs(0)).isZero();
    }

    @Test
    void hybridHostsReadV1CpuacctAndV2FromTheUnifiedCgroup() throws Exception {
        FixtureHost fx = FixtureHost.hybrid(tmp)
                .cgroup("cpuacct", "/ctr", "cpuacct.usage_all", "cpu user system\n0 164725327046 313490903717\n1 176307456843 325318132192\n")
                .cgroup("unified", "/ctr", "cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n");
        CpuUsage u = CpuUsage.read(fx.container("/ctr").cgroups().cpuAccounting().orElseThrow()).orElseThrow();
        assertThat(u.hasPerCpu()).isTrue();
        assertThat(u.cpuSlots()).isEqualTo(2);
        assertThat(u.userNs(1)).isEqualTo(176307456843L);
        assertThat(u.systemNs(0)).isEqualTo(313490903717L);
        assertThat(u.userNs()).isEqualTo(164725327046L + 176307456843L);
        assertThat(u.totalNs()).isEqualTo(164725327046L + 176307456843L + 313490903717L + 325318132192L);
    }

    @Test
    void usagePercpuSplitByStatRatioWithItsTrailingSpace() throws Exception {
        FixtureHost fx = FixtureHost.v1(tmp)
                .cgroup("cpuacct", "/ctr", "cpuacct.usage_percpu", "400000000 1000000000 \n")
                .cgroup("cpuacct", "/ctr", "cpuacct.stat", "user 30\nsystem 10\n");
        CpuUsage u = CpuUsage.read(fx.container("/ctr").cgroups().cpuAccounting().orElseThrow()).orElseThrow();
        assertThat(u.userNs(0)).isEqualTo(300_000_000L);
        assertThat(u.systemNs(0)).isEqualTo(100_000_000L);
        assertThat(u.userNs(1)).isEqualTo(750_000_000L);
        assertThat(u.systemNs(1)).isEqualTo(250_000_000L);
        assertThat(u.totalNs()).isEqualTo(1_400_000_000L);
    }

    @Test
    void missingAccountingIsEmptyAndGarbageNamesTheFile() throws Exception {
        FixtureHost fx = FixtureHost.v1(tmp);
        assertThat(CpuUsage.read(fx.container("/gone").cgroups().cpuAccounting().orElseThrow())).isEmpty();
        fx.cgroup("cpuacct", "/bad", "cpuacct.usage_all", "cpu user system\n0 12 x\n");
        assertThatThrownBy(() -> CpuUsage.read(fx.container("/bad").cgroups().cpuAccounting().orElseThrow()))
                .hasMessageContaining("cpuacct.usage_all");
        FixtureHost v2 = FixtureHost.v2(tmp.resolve("v2")).cgroup("", "/ctr", "cpu.stat", "nr_periods 0\n");
        assertThat(CpuUsage.read(v2.container("/ctr").cgroups().cpuAccounting().orElseThrow())).isEmpty();
    }
}
