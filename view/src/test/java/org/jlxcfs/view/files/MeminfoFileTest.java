package org.jlxcfs.view.files;

import org.jlxcfs.view.Container;
import org.jlxcfs.view.FixtureHost;
import org.jlxcfs.view.FixtureHost.Layout;
import org.jlxcfs.view.ViewOptions;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jlxcfs.view.files.MemoryFixtures.*;

class MeminfoFileTest {
    @TempDir
    Path tmp;

    /** v2, limits on the pod: 1 GiB, 512 MiB swap of which 64 MiB used; 308.5 MiB in use. */
    static final String V2_EXPECTED = """
            MemTotal:        1048576 kB
            MemFree:          732608 kB
            MemAvailable:     930240 kB
            Buffers:               0 kB
            Cached:           204800 kB
            SwapCached:            0 kB
            Active:            92160 kB
            Inactive:         215040 kB
            Active(anon):      20480 kB
            Inactive(anon):    92160 kB
            Active(file):      71680 kB
            Inactive(file):   122880 kB
            Unevictable:        4096 kB
            Mlocked:            4096 kB
            SwapTotal:        524288 kB
            SwapFree:         458752 kB
            Zswap:              8192 kB
            Zswapped:          32768 kB
            Dirty:              1028 kB
            Writeback:           260 kB
            AnonPages:        102400 kB
            Mapped:            51200 kB
            Shmem:             10240 kB
            KReclaimable:       3072 kB
            Slab:               5120 kB
            SReclaimable:       3072 kB
            SUnreclaim:         2048 kB
            KernelStack:        1024 kB
            PageTables:         2048 kB
            SecPageTables:         0 kB
            NFS_Unstable:          0 kB
            Bounce:                0 kB
            WritebackTmp:          0 kB
            CommitLimit:    16547684 kB
            Committed_AS:    5678901 kB
            VmallocTotal:   34359738367 kB
            VmallocUsed:       54321 kB
            VmallocChunk:          0 kB
            Percpu:              512 kB
            HardwareCorrupted:     0 kB
            AnonHugePages:     20480 kB
            ShmemHugePages:     2048 kB
            ShmemPmdMapped:        0 kB
            FileHugePages:         0 kB
            FilePmdMapped:         0 kB
            HugePages_Total:       0
            HugePages_Free:        0
            HugePages_Rsvd:        0
            HugePages_Surp:        0
            Hugepagesize:       2048 kB
            Hugetlb:               0 kB
            DirectMap4k:      456704 kB
            DirectMap2M:    12138496 kB
            DirectMap1G:     4194304 kB
            """;

    /** v1 and hybrid, limits on the pod: 1 GiB, 1.5 GiB memory+swap; 325 MiB used, 48 MiB swapped. */
    static final String V1_EXPECTED = """
            MemTotal:        1048576 kB
            MemFree:          715776 kB
            MemAvailable:     922624 kB
            Buffers:               0 kB
            Cached:           215040 kB
            SwapCached:            0 kB
            Active:           112640 kB
            Inactive:         215040 kB
            Active(anon):      38912 kB
            Inactive(anon):    81920 kB
            Active(file):      73728 kB
            Inactive(file):   133120 kB
            Unevictable:        2048 kB
            Mlocked:            2048 kB
            SwapTotal:       1572864 kB
            SwapFree:        1523712 kB
            Zswap:                 0 kB
            Zswapped:              0 kB
            Dirty:               828 kB
            Writeback:           132 kB
            AnonPages:        112640 kB
            Mapped:            30720 kB
            Shmem:              8192 kB
            KReclaimable:     345678 kB
            Slab:                  0 kB
            SReclaimable:          0 kB
            SUnreclaim:            0 kB
            KernelStack:       14400 kB
            PageTables:        25600 kB
            SecPageTables:         0 kB
            NFS_Unstable:          0 kB
            Bounce:                0 kB
            WritebackTmp:          0 kB
            CommitLimit:    16547684 kB
            Committed_AS:    5678901 kB
            VmallocTotal:   34359738367 kB
            VmallocUsed:       54321 kB
            VmallocChunk:          0 kB
            Percpu:             6880 kB
            HardwareCorrupted:     0 kB
            AnonHugePages:     40960 kB
            ShmemHugePages:        0 kB
            ShmemPmdMapped:        0 kB
            FileHugePages:         0 kB
            FilePmdMapped:         0 kB
            HugePages_Total:       0
            HugePages_Free:        0
            HugePages_Rsvd:        0
            HugePages_Surp:        0
            Hugepagesize:       2048 kB
            Hugetlb:               0 kB
            DirectMap4k:      456704 kB
            DirectMap2M:    12138496 kB
            DirectMap1G:     4194304 kB
            """;

    private static String render(FixtureHost fx, String path) throws IOException {
        return render(fx, fx.container(path), ViewOptions.DEFAULTS);
    }

    private static String render(FixtureHost fx, Container c, ViewOptions options) throws IOException {
        return new String(new MeminfoFile(fx.host(), options).render(c), StandardCharsets.UTF_8);
    }

    private static FixtureHost fixture(Layout layout, Path root) {
        return layout == Layout.V2 ? MemoryFixtures.v2(root) : MemoryFixtures.v1(layout, root);
    }

    private static String expected(Layout layout) {
        return layout == Layout.V2 ? V2_EXPECTED : V1_EXPECTED;
    }

    @Test
    void pathIsProcMeminfo() {
        assertThat(new MeminfoFile(null, ViewOptions.DEFAULTS).path()).isEqualTo("proc/meminfo");
    }

    @Test
    void v2ShowsThePodLimitAndTheCgroupsOwnFigures() throws IOException {
        assertThat(render(MemoryFixtures.v2(tmp), CTR)).isEqualTo(V2_EXPECTED);
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1AndHybridReadTheHierarchicalTotals(Layout layout) throws IOException {
        assertThat(render(MemoryFixtures.v1(layout, tmp), CTR)).isEqualTo(V1_EXPECTED);
    }

    @Test
    void v2UnlimitedShowsTheHostsRamAndSwap() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", POD, "memory.max", "max\n").cgroup("", POD, "memory.swap.max", "max\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED,
                "MemTotal:       16318164 kB",
                "MemFree:        16002196 kB",
                "MemAvailable:   16199828 kB",
                "SwapTotal:       8388604 kB",
                "SwapFree:        8323068 kB"));
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1UnlimitedShowsTheHostsRamAndSwap(Layout layout) throws IOException {
        FixtureHost fx = MemoryFixtures.v1(layout, tmp).cgroup("memory", POD, "memory.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", POD, "memory.memsw.limit_in_bytes", UNLIMITED_V1);
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V1_EXPECTED,
                "MemTotal:       16318164 kB",
                "MemFree:        15985364 kB",
                "MemAvailable:   16192212 kB",
                "SwapTotal:       8388604 kB",
                "SwapFree:        8339452 kB"));
    }

    @Test
    void aLimitAboveTheHostsRamShowsTheHostsRam() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", POD, "memory.max", "68719476736\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED,
                "MemTotal:       16318164 kB",
                "MemFree:        16002196 kB",
                "MemAvailable:   16199828 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void usageAboveTheLimitGivesNoFreeMemoryAndNeverWraps(Layout layout) throws IOException {
        // a limit lowered to 100 MiB below the 308 MiB in use, page cache alone above the limit
        FixtureHost fx = fixture(layout, tmp);
        if (layout == Layout.V2) fx.cgroup("", POD, "memory.max", "104857600\n");
        else fx.cgroup("memory", POD, "memory.limit_in_bytes", "104857600\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(expected(layout),
                "MemTotal:         102400 kB",
                "MemFree:               0 kB",
                "MemAvailable:     102400 kB"));
    }

    @Test
    void aLimitBelowOneKibIsShownAsItIsNotAsTheHostsRam() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", POD, "memory.max", "512\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED,
                "MemTotal:              0 kB",
                "MemFree:               0 kB",
                "MemAvailable:          0 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void swapSwitchedOffShowsNone(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        String out = render(fx, fx.container(CTR), new ViewOptions(false, true, true, true));
        assertThat(out).isEqualTo(replaceLines(expected(layout),
                "SwapTotal:             0 kB",
                "SwapFree:              0 kB",
                "Zswap:                 0 kB",
                "Zswapped:              0 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void swapNotAccountedByTheKernelShowsNone(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        // swapaccount=0 (or no CONFIG_MEMCG_SWAP): the kernel creates no swap files in any cgroup
        for (String dir : List.of("/", "/kubepods", POD, CTR)) {
            Path d = fx.cgroupDir(layout == Layout.V2 ? "" : "memory", dir);
            for (String f : List.of("memory.swap.max", "memory.swap.current", "memory.memsw.limit_in_bytes", "memory.memsw.usage_in_bytes")) {
                Files.deleteIfExists(d.resolve(f));
            }
        }
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(expected(layout),
                "SwapTotal:             0 kB",
                "SwapFree:              0 kB",
                "Zswap:                 0 kB",
                "Zswapped:              0 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aHostWithoutSwapGivesNoSwap(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp).proc("meminfo", replaceLines(HOST_MEMINFO,
                "SwapTotal:             0 kB",
                "SwapFree:              0 kB"));
        // no swap, so no zswap either (zswap holds pages that have a swap slot)
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(expected(layout),
                "SwapTotal:             0 kB",
                "SwapFree:              0 kB",
                "Zswap:                 0 kB",
                "Zswapped:              0 kB"));
    }

    @Test
    void v2SwapUsedAboveTheSwapLimitShowsAFullDevice() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", CTR, "memory.swap.current", GIB);
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED, "SwapFree:              0 kB"));
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1SwappinessZeroShowsAFullDeviceOfTheSwapInUse(Layout layout) throws IOException {
        FixtureHost fx = MemoryFixtures.v1(layout, tmp).cgroup("memory", CTR, "memory.swappiness", "0\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V1_EXPECTED,
                "SwapTotal:         49152 kB",
                "SwapFree:              0 kB"));
    }

    @Test
    void v1WithoutTotalSwapTakesMemswUsageMinusUsage() throws IOException {
        FixtureHost fx = MemoryFixtures.v1(Layout.V1, tmp).cgroup("memory", CTR, "memory.stat",
                V1_STAT.replace("total_swap 50331648\n", ""));
        // 391380992 - 340787200 = 50593792 bytes = 49408 KiB
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V1_EXPECTED, "SwapFree:        1523456 kB"));
    }

    @Test
    void v2KeysMissingOnOlderKernelsFallBackPerLine() throws IOException {
        // before 5.9 there is no "slab" total; without CONFIG_ZSWAP no zswap keys; older still no kernel_stack
        String stat = V2_STAT.replace("slab 5242880\n", "").replace("zswap 8388608\n", "").replace("zswapped 33554432\n", "")
                .replace("kernel_stack 1048576\n", "");
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", CTR, "memory.stat", stat);
        // no zswap figures: the container's zeroes, not the host's 40960/163840
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED,
                "Zswap:                 0 kB",
                "Zswapped:              0 kB",
                "KernelStack:       14400 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void zswapSwitchedOffShowsNone(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        assertThat(render(fx, fx.container(CTR), new ViewOptions(true, true, true, false))).isEqualTo(replaceLines(expected(layout),
                "Zswap:                 0 kB",
                "Zswapped:              0 kB"));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aHostWithoutZswapLinesGetsNone(Layout layout) throws IOException {
        // kernels before 5.19 (or without CONFIG_ZSWAP) print no Zswap lines: none are added
        FixtureHost fx = fixture(layout, tmp).proc("meminfo", withoutZswapLines(HOST_MEMINFO));
        assertThat(render(fx, CTR)).isEqualTo(withoutZswapLines(expected(layout)));
    }

    @Test
    void v2ZswappedNeverExceedsTheSwapShownAsUsed() throws IOException {
        // memory.stat is flushed lazily and can lag memory.swap.current: 4 MiB swapped, 32 MiB in zswap
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", CTR, "memory.swap.current", "4194304\n");
        assertThat(render(fx, CTR)).isEqualTo(replaceLines(V2_EXPECTED,
                "SwapFree:         520192 kB",
                "Zswap:              4096 kB",
                "Zswapped:           4096 kB"));
    }

    private static String withoutZswapLines(String meminfo) {
        return meminfo.replaceAll("(?m)^Zswap(ped)?:.*\n", "");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void theRootCgroupSeesTheHostFileVerbatim(Layout layout) throws IOException {
        // the root has usage and statistics on v1 (v2's root has memory.stat only): still the host's view
        FixtureHost fx = fixture(layout, tmp);
        String h = layout == Layout.V2 ? "" : "memory";
        fx.cgroup(h, "/", "memory.stat", layout == Layout.V2 ? V2_STAT : V1_STAT)
                .cgroup(h, "/", layout == Layout.V2 ? "memory.current" : "memory.usage_in_bytes", "340787200\n");
        assertThat(render(fx, "/")).isEqualTo(HOST_MEMINFO);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aVanishedCgroupSeesTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        assertThat(render(fx, POD + "/gone")).isEqualTo(HOST_MEMINFO);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aCgroupWithoutMemoryStatSeesTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        Files.delete(fx.cgroupDir(layout == Layout.V2 ? "" : "memory", CTR).resolve("memory.stat"));
        assertThat(render(fx, CTR)).isEqualTo(HOST_MEMINFO);
    }

    @Test
    void noMemoryHierarchySeesTheHostFile() throws IOException {
        FixtureHost v1 = MemoryFixtures.v1(Layout.V1, tmp.resolve("v1"));
        Container noMemory = new Container(100, 100, new ContainerCgroups(v1.cgroupLayout(), Map.of("cpu", CTR), null));
        assertThat(render(v1, noMemory, ViewOptions.DEFAULTS)).isEqualTo(HOST_MEMINFO);

        // v2 without the memory controller enabled at the root
        FixtureHost v2 = MemoryFixtures.v2(tmp.resolve("v2")).cgroup("", "/", "cgroup.controllers", "cpuset cpu io pids\n");
        assertThat(render(v2, CTR)).isEqualTo(HOST_MEMINFO);
    }

    @Test
    void aMalformedCounterIsAnErrorNamingTheFile() {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", CTR, "memory.current", "12abc\n");
        assertThatThrownBy(() -> render(fx, CTR)).isInstanceOf(IOException.class)
                .hasMessageContaining("ctr 1/memory.current").hasMessageContaining("12abc");
    }

    @Test
    void linesAreWrittenInTheKernelsFormat() throws IOException {
        assertThat(MeminfoFile.kbLine("MemTotal", 1048576)).isEqualTo("MemTotal:        1048576 kB");
        assertThat(MeminfoFile.kbLine("Inactive(anon)", 0)).isEqualTo("Inactive(anon):        0 kB");
        assertThat(MeminfoFile.kbLine("VmallocTotal", 34359738367L)).isEqualTo("VmallocTotal:   34359738367 kB");
        // every "kB" line of this machine's own /proc/meminfo comes out unchanged
        Path real = Path.of("/proc/meminfo");
        if (!Files.isReadable(real)) return;
        for (String line : Files.readAllLines(real)) {
            int colon = line.indexOf(':');
            if (!line.endsWith(" kB") || colon + 1 >= 16) continue;
            long v = Long.parseLong(line.substring(colon + 1, line.length() - 3).trim());
            assertThat(MeminfoFile.kbLine(line.substring(0, colon), v)).isEqualTo(line);
        }
    }
}
