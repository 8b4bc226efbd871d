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
import static org.jlxcfs.view.files.MemoryFixtures.*;

class SwapsFileTest {
    static final String HEADER = "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n";
    static final String NONE = "none                                    virtual\t\t";

    @TempDir
    Path tmp;

    private static String render(FixtureHost fx, Container c, ViewOptions options) throws IOException {
        return new String(new SwapsFile(fx.host(), options).render(c), StandardCharsets.UTF_8);
    }

    private static String render(FixtureHost fx, String path) throws IOException {
        return render(fx, fx.container(path), ViewOptions.DEFAULTS);
    }

    private static FixtureHost fixture(Layout layout, Path root) {
        return layout == Layout.V2 ? MemoryFixtures.v2(root) : MemoryFixtures.v1(layout, root);
    }

    @Test
    void pathIsProcSwaps() {
        assertThat(new SwapsFile(null, ViewOptions.DEFAULTS).path()).isEqualTo("proc/swaps");
    }

    @Test
    void v2ShowsTheSwapLimitAndUse() throws IOException {
        assertThat(render(MemoryFixtures.v2(tmp), CTR)).isEqualTo(HEADER + NONE + "524288\t65536\t0\n");
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1ShowsMemswMinusMemoryPlusMemTotal(Layout layout) throws IOException {
        // (1.5 GiB - 1 GiB) + 1 GiB = 1572864 KiB; memory.stat total_swap 48 MiB
        assertThat(render(MemoryFixtures.v1(layout, tmp), CTR)).isEqualTo(HEADER + NONE + "1572864\t49152\t0\n");
    }

    @Test
    void v2UnlimitedSwapIsTheHostsSwap() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", POD, "memory.swap.max", "max\n");
        assertThat(render(fx, CTR)).isEqualTo(HEADER + NONE + "8388604\t65536\t0\n");
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"V1", "HYBRID"})
    void v1UnlimitedSwapIsTheHostsSwap(Layout layout) throws IOException {
        FixtureHost fx = MemoryFixtures.v1(layout, tmp).cgroup("memory", POD, "memory.limit_in_bytes", UNLIMITED_V1)
                .cgroup("memory", POD, "memory.memsw.limit_in_bytes", UNLIMITED_V1);
        assertThat(render(fx, CTR)).isEqualTo(HEADER + NONE + "8388604\t49152\t0\n");
    }

    @Test
    void v2SwapMaxZeroShowsTheHeaderOnly() throws IOException {
        FixtureHost fx = MemoryFixtures.v2(tmp).cgroup("", CTR, "memory.swap.max", "0\n").cgroup("", CTR, "memory.swap.current", "0\n");
        assertThat(render(fx, CTR)).isEqualTo(HEADER);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void swapSwitchedOffShowsTheHeaderOnly(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        assertThat(render(fx, fx.container(CTR), new ViewOptions(false, true, true, true))).isEqualTo(HEADER);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void swapNotAccountedShowsTheHeaderOnly(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        Path ctr = fx.cgroupDir(layout == Layout.V2 ? "" : "memory", CTR);
        for (String f : List.of("memory.swap.max", "memory.swap.current", "memory.memsw.limit_in_bytes", "memory.memsw.usage_in_bytes")) {
            Files.deleteIfExists(ctr.resolve(f));
        }
        assertThat(render(fx, CTR)).isEqualTo(HEADER);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aHostWithoutSwapShowsTheHeaderOnly(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp).proc("meminfo", replaceLines(HOST_MEMINFO,
                "SwapTotal:             0 kB",
                "SwapFree:              0 kB")).proc("swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        assertThat(render(fx, CTR)).isEqualTo(HEADER);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void theRootCgroupSeesTheHostFile(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        String h = layout == Layout.V2 ? "" : "memory";
        fx.cgroup(h, "/", "memory.stat", layout == Layout.V2 ? V2_STAT : V1_STAT)
                .cgroup(h, "/", layout == Layout.V2 ? "memory.current" : "memory.usage_in_bytes", "340787200\n");
        assertThat(render(fx, "/")).isEqualTo(HOST_SWAPS);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aVanishedCgroupSeesTheHostFile(Layout layout) throws IOException {
        assertThat(render(fixture(layout, tmp), POD + "/gone")).isEqualTo(HOST_SWAPS);
    }

    @Test
    void noMemoryHierarchySeesTheHostFile() throws IOException {
        FixtureHost fx = MemoryFixtures.v1(Layout.V1, tmp);
        Container noMemory = new Container(100, 100, new ContainerCgroups(fx.cgroupLayout(), Map.of("cpu", CTR), null));
        assertThat(render(fx, noMemory, ViewOptions.DEFAULTS)).isEqualTo(HOST_SWAPS);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void agreesWithMeminfo(Layout layout) throws IOException {
        FixtureHost fx = fixture(layout, tmp);
        if (layout == Layout.V2) fx.cgroup("", POD, "memory.max", "104857600\n").cgroup("", CTR, "memory.swap.current", "600000000\n");
        else fx.cgroup("memory", POD, "memory.limit_in_bytes", "104857600\n").cgroup("memory", CTR, "memory.swappiness", "0\n");
        Container c = fx.container(CTR);
        Map<String, Long> meminfo = ContainerMemory.parseMeminfo(
                new String(new MeminfoFile(fx.host(), ViewOptions.DEFAULTS).render(c), StandardCharsets.UTF_8));
        String[] device = render(fx, c, ViewOptions.DEFAULTS).split("\n")[1].split("\t+");
        long size = Long.parseLong(device[1]), used = Long.parseLong(device[2]);
        assertThat(size).isPositive().isEqualTo(meminfo.get("SwapTotal"));
        assertThat(size - used).isEqualTo(meminfo.get("SwapFree"));
    }
}
