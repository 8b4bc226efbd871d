package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.FixtureHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CgroupLayoutTest {
    @TempDir
    Path tmp;

    @Test
    void detectsTheThreeLayouts() {
        assertThat(FixtureHost.v1(tmp.resolve("a")).cgroupLayout().mode()).isEqualTo(CgroupLayout.Mode.LEGACY);
        CgroupLayout hybrid = FixtureHost.hybrid(tmp.resolve("b")).cgroupLayout();
        assertThat(hybrid.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
        assertThat(hybrid.hierarchy("memory").orElseThrow().v2()).isFalse();
        assertThat(hybrid.unified().orElseThrow().controllers()).isEmpty();
        CgroupLayout v2 = FixtureHost.v2(tmp.resolve("c")).cgroupLayout();
        assertThat(v2.mode()).isEqualTo(CgroupLayout.Mode.UNIFIED);
        assertThat(v2.hierarchy("memory").orElseThrow().v2()).isTrue();
        assertThat(v2.hierarchy("cpuacct")).isEmpty();
    }

    @Test
    void readsThisMachinesMountinfoFormat() throws Exception {
        List<String> lines = List.of(
                "33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
                "34 25 0:30 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd",
                "35 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate",
                "36 25 0:32 /kubepods /var/lib/other/cgroup/memory rw - cgroup cgroup rw,memory");
        CgroupLayout l = CgroupLayout.discover(lines, Path.of("/sys/fs/cgroup"));
        assertThat(l.hierarchy("cpu")).isEqualTo(l.hierarchy("cpuacct"));
        assertThat(l.hierarchy("name=systemd")).isPresent();
        assertThat(l.hierarchy("memory")).as("mounts outside the cgroup root do not count").isEmpty();
    }

    @Test
    void parsesProcPidCgroupAndTrimsInitScope() {
        FixtureHost fx = FixtureHost.hybrid(tmp);
        ContainerCgroups cg = ContainerCgroups.parse(fx.cgroupLayout(), List.of(
                "4:memory:/lxc/c1/init.scope", "3:cpu,cpuacct:/lxc/c1", "2:cpuset:/", "0::/init.scope"));
        assertThat(cg.memory().orElseThrow().path()).isEqualTo("/lxc/c1");
        assertThat(cg.unified().orElseThrow().path()).isEqualTo("/");
        assertThat(cg.cpuset().orElseThrow().isRoot()).isTrue();
    }

    @Test
    void cpuSetsParseAndFormat() {
        CpuSet s = CpuSet.parse("0-3,8,10-11\n");
        assertThat(s.size()).isEqualTo(7);
        assertThat(s.toString()).isEqualTo("0-3,8,10-11");
        assertThat(s.limit(5).toString()).isEqualTo("0-3,8");
        assertThat(CpuSet.parse("").isEmpty()).isTrue();
        assertThat(CpuSet.parse("3-1").toString()).isEqualTo("1-3");
    }

    @Test
    void effectiveLimitsAreTheTightestOnThePathToTheRoot() throws Exception {
        FixtureHost fx = FixtureHost.v1(tmp)
                .cgroup("memory", "/pod", "memory.limit_in_bytes", "1073741824\n")
                .cgroup("memory", "/pod/ctr", "memory.limit_in_bytes", Cgroup.V1_UNLIMITED + "\n")
                .cgroup("cpu", "/pod", "cpu.cfs_quota_us", "50000\n").cgroup("cpu", "/pod", "cpu.cfs_period_us", "100000\n")
                .cgroup("cpu", "/pod/ctr", "cpu.cfs_quota_us", "-1\n").cgroup("cpu", "/pod/ctr", "cpu.cfs_period_us", "100000\n");
        var c = fx.container("/pod/ctr");
        assertThat(Limits.memory(c.cgroups().memory().orElseThrow())).hasValue(1073741824L);
        assertThat(Limits.cpuQuota(c.cgroups().cpu().orElseThrow())).hasValue(0.5);
        FixtureHost v2 = FixtureHost.v2(tmp.resolve("v2"))
                .cgroup("", "/a", "memory.max", "max\n").cgroup("", "/a/b", "memory.max", "2097152\n")
                .cgroup("", "/a", "cpu.max", "250000 100000\n").cgroup("", "/a/b", "cpu.max", "max 100000\n");
        var c2 = v2.container("/a/b");
        assertThat(Limits.memory(c2.cgroups().memory().orElseThrow())).hasValue(2097152L);
        assertThat(Limits.cpuQuota(c2.cgroups().cpu().orElseThrow())).hasValue(2.5);
    }

    @Test
    void aRepeatedSuperOptionDoesNotAbortDiscovery() throws Exception {
        List<String> lines = List.of(
                "40 25 0:40 / /run/user/0/gvfs rw - fuse.gvfsd-fuse gvfsd-fuse rw,user_id=0,user_id=0",
                "33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct,cpu,rw",
                "35 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate,nsdelegate");
        CgroupLayout l = CgroupLayout.discover(lines, Path.of("/sys/fs/cgroup"));
        assertThat(l.hierarchy("cpu").orElseThrow().controllers()).containsExactlyInAnyOrder("cpu", "cpuacct");
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
        assertThat(org.jlxcfs.view.host.MountInfo.parse(lines).getFirst().superOptions())
                .containsExactlyInAnyOrder("rw", "user_id=0");
    }
}
