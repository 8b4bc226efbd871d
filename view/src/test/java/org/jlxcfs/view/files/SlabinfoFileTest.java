package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SlabinfoFileTest {
    static final String CTR = "/lxc/web 1";

    static final String HOST_SLABINFO = """
            slabinfo - version: 2.1
            # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
            ext4_inode_cache   31590  32340   1176   27    8 : tunables    0    0    0 : slabdata   1198   1198      0
            dentry             98432 101052    192   42    2 : tunables    0    0    0 : slabdata   2406   2406      0
            kmalloc-64         45120  46080     64   64    1 : tunables    0    0    0 : slabdata    720    720      0
            """;

    /** A 4.x kernel's per-cgroup file: only the caches the cgroup allocated from. */
    static final String CGROUP_SLABINFO = """
            slabinfo - version: 2.1
            # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
            ext4_inode_cache     270    270   1176   27    8 : tunables    0    0    0 : slabdata     10     10      0
            dentry              1764   1764    192   42    2 : tunables    0    0    0 : slabdata     42     42      0
            """;

    @TempDir
    Path tmp;

    private static String render(FixtureHost fx, Container c) throws IOException {
        return new String(new SlabinfoFile(fx.host()).render(c), StandardCharsets.UTF_8);
    }

    private FixtureHost fixture(Layout layout) {
        FixtureHost fx = FixtureHost.of(layout, tmp).proc("slabinfo", HOST_SLABINFO);
        // the root has the file too (marked): the root's reader gets /proc/slabinfo, not this
        return fx.cgroup(layout == Layout.V2 ? "" : "memory", "/", "memory.kmem.slabinfo", HOST_SLABINFO + "# root cgroup\n");
    }

    @Test
    void pathIsProcSlabinfo() {
        assertThat(new SlabinfoFile(null).path()).isEqualTo("proc/slabinfo");
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1KmemAccountingGivesTheCgroupsOwnCaches(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout).cgroup("memory", CTR, "memory.kmem.slabinfo", CGROUP_SLABINFO);
        assertThat(render(fx, fx.container(CTR))).isEqualTo(CGROUP_SLABINFO);
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void anEmptyFileAsKernelsSince59LeaveItGivesTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout).cgroup("memory", CTR, "memory.kmem.slabinfo", "");
        assertThat(render(fx, fx.container(CTR))).isEqualTo(HOST_SLABINFO);
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void noKmemFileGivesTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout).cgroup("memory", CTR, "memory.limit_in_bytes", "1073741824\n");
        assertThat(render(fx, fx.container(CTR))).isEqualTo(HOST_SLABINFO);
    }

    @Test
    void v2GivesTheHostFile() throws IOException {
        FixtureHost fx = fixture(Layout.V2).cgroup("", CTR, "memory.kmem.slabinfo", CGROUP_SLABINFO);
        assertThat(render(fx, fx.container(CTR))).isEqualTo(HOST_SLABINFO);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void theRootCgroupAndAVanishedCgroupGiveTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout);
        assertThat(render(fx, fx.container("/"))).isEqualTo(HOST_SLABINFO);
        assertThat(render(fx, fx.container("/lxc/gone"))).isEqualTo(HOST_SLABINFO);
    }

    @Test
    void noMemoryHierarchyGivesTheHostFile() throws IOException {
        FixtureHost fx = fixture(Layout.V1).cgroup("memory", CTR, "memory.kmem.slabinfo", CGROUP_SLABINFO);
        Container c = new Container(100, 100, new ContainerCgroups(fx.cgroupLayout(), Map.of("cpu", CTR), null));
        assertThat(render(fx, c)).isEqualTo(HOST_SLABINFO);
    }

    @Test
    void anUnreadableHostFileIsTheReadsError() {
        FixtureHost fx = FixtureHost.v2(tmp);
        assertThatThrownBy(() -> render(fx, fx.container(CTR))).isInstanceOf(IOException.class)
                .hasMessageContaining("slabinfo");
    }
}
