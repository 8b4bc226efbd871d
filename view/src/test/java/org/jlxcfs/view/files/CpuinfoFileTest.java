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
import static org.jlxcfs.view.files.CpuFixtures.cpuset;
import static org.jlxcfs.view.files.CpuFixtures.host16;
import static org.jlxcfs.view.files.CpuFixtures.quota;
import static org.jlxcfs.view.files.CpuFixtures.x86Block;
import static org.jlxcfs.view.files.CpuFixtures.x86Cpuinfo16;

class CpuinfoFileTest {
    @TempDir
    Path tmp;

    private static String render(FixtureHost fx, Container c) throws Exception {
        return render(fx, c, ViewOptions.DEFAULTS);
    }

    private static String render(FixtureHost fx, Container c, ViewOptions options) throws Exception {
        return new String(new CpuinfoFile(fx.host(), options).render(c), StandardCharsets.UTF_8);
    }

    private static final String SMALL_HOST = """
            processor\t: 0
            physical id\t: 0
            siblings\t: 4
            core id\t\t: 0
            cpu cores\t: 2

            processor\t: 1
            physical id\t: 0
            siblings\t: 4
            core id\t\t: 1
            cpu cores\t: 2

            processor\t: 2
            physical id\t: 0
            siblings\t: 4
            core id\t\t: 0
            cpu cores\t: 2

            processor\t: 3
            physical id\t: 0
            siblings\t: 4
            core id\t\t: 1
            cpu cores\t: 2

            """;

    @ParameterizedTest
    @EnumSource(Layout.class)
    void keepsTheCpusetsBlocksRenumberedWithTheirTopology(Layout layout) throws Exception {
        FixtureHost fx = FixtureHost.of(layout, tmp).proc("cpuinfo", SMALL_HOST);
        cpuset(fx, "/ctr", "1,3");
        // CPUs 1 and 3 are hyperthreads of one core: 2 siblings, 1 core.
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("""
                processor\t: 0
                physical id\t: 0
                siblings\t: 2
                core id\t\t: 1
                cpu cores\t: 1

                processor\t: 1
                physical id\t: 0
                siblings\t: 2
                core id\t\t: 1
                cpu cores\t: 1

                """);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void sparseCpusetOnASixteenCpuHost(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        cpuset(fx, "/ctr", "0-3,8,10-11");
        int[] ids = {0, 1, 2, 3, 8, 10, 11};
        StringBuilder expected = new StringBuilder();
        // all in package 0; cores 0-3 (8, 10, 11 are hyperthreads of 0, 2, 3): 7 siblings, 4 cores
        for (int k = 0; k < ids.length; k++) expected.append(x86Block(k, ids[k], 7, 4));
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected.toString());
        // quota above the host's 16 CPUs changes nothing
        quota(fx, "/ctr", 2_400_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected.toString());
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void quotaBelowOneCpuShowsOneCpu(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        cpuset(fx, "/ctr", "0-3,8,10-11");
        quota(fx, "/ctr", 50_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(x86Block(0, 0, 1, 1));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void quotaCutsTheCpusetAndTopologyFollows(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        quota(fx, "/pod", 150_000, 100_000); // the pod's limit, 1.5 CPUs → 2 CPUs
        quota(fx, "/pod/ctr", -1, 100_000);
        cpuset(fx, "/pod/ctr", "3-6");
        // CPU 3: package 0 core 3; CPU 4: package 1 core 0 → one sibling, one core each
        assertThat(render(fx, fx.container("/pod/ctr"))).isEqualTo(x86Block(0, 3, 1, 1) + x86Block(1, 4, 1, 1));
        // with quota counting off: the whole cpuset (3 in package 0; 4-6 in package 1, cores 0-2)
        assertThat(render(fx, fx.container("/pod/ctr"), new ViewOptions(true, false, true, true)))
                .isEqualTo(x86Block(0, 3, 1, 1) + x86Block(1, 4, 3, 3) + x86Block(2, 5, 3, 3) + x86Block(3, 6, 3, 3));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void rootCgroupsWithoutQuotaGetTheHostFile(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        assertThat(render(fx, fx.container("/"))).isEqualTo(x86Cpuinfo16());
        // a container allowed every CPU, quota above the host's count: the host's file too
        cpuset(fx, "/ctr", "0-15");
        quota(fx, "/ctr", 2_000_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(x86Cpuinfo16());
        // but a quota on the root-cpuset container cuts it
        quota(fx, "/ctr", 200_000, 100_000);
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(x86Block(0, 0, 2, 2) + x86Block(1, 1, 2, 2));
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void cgroupPathWithSpaces(Layout layout) throws Exception {
        FixtureHost fx = host16(FixtureHost.of(layout, tmp));
        cpuset(fx, "/kube pods/ctr 1", "10-11");
        assertThat(render(fx, fx.container("/kube pods/ctr 1"))).isEqualTo(x86Block(0, 10, 2, 2) + x86Block(1, 11, 2, 2));
    }

    @Test
    void cpusetOfOfflineCpusOnlyGivesTheHostFileNotAnEmptyOne() throws Exception {
        FixtureHost fx = host16(FixtureHost.v2(tmp)).sys("devices/system/cpu/online", "0-15\n");
        cpuset(fx, "/ctr", "20-21");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(x86Cpuinfo16());
    }

    @Test
    void keepsLinesAfterTheLastBlock() throws Exception {
        String block = "cpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\n";
        String trailer = "timebase\t: 512000000\nplatform\t: pSeries\nmodel\t\t: IBM,9009-42A\nmachine\t\t: CHRP IBM,9009-42A\nMMU\t\t: Radix\n";
        StringBuilder hostFile = new StringBuilder();
        for (int i = 0; i < 4; i++) hostFile.append("processor\t: ").append(i).append('\n').append(block);
        FixtureHost fx = FixtureHost.v2(tmp).proc("cpuinfo", hostFile + trailer);
        cpuset(fx, "/ctr", "2");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo("processor\t: 0\n" + block + trailer);
    }

    @Test
    void thisMachinesCpuinfo() throws Exception {
        Path real = Path.of("/proc/cpuinfo");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(real));
        String hostFile = Files.readString(real);
        String[] blocks = hostFile.split("(?m)^(?=processor\\s*:)");
        org.junit.jupiter.api.Assumptions.assumeTrue(blocks.length >= 2 && hostFile.startsWith("processor"));
        int last = blocks.length - 1;
        FixtureHost fx = FixtureHost.v2(tmp).proc("cpuinfo", hostFile).sys("devices/system/cpu/online", "0-" + last + "\n");
        cpuset(fx, "/ctr", String.valueOf(last));
        String expected = blocks[last].replaceFirst("^processor\\s*:\\s*\\d+", "processor\t: 0")
                .replaceFirst("(?m)^(siblings\\s*:) \\d+$", "$1 1").replaceFirst("(?m)^(cpu cores\\s*:) \\d+$", "$1 1");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(expected);
    }

    private static final String S390_HEADER = """
            vendor_id       : IBM/S390
            # processors    : 4
            bogomips per cpu: 3241.00
            max thread id   : 0
            features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx sie
            facilities      : 0 1 2 3 4 6 7 8 9 10 12 14 15 16 17 18 19 20
            cache0          : level=1 type=Data scope=Private size=128K line_size=256 associativity=8
            """;

    private static String s390Block(int number, int core, int siblings, int cores) {
        return "cpu number      : " + number + "\n"
                + "physical id     : 0\n"
                + "core id         : " + core + "\n"
                + "book id         : 0\n"
                + "drawer id       : 0\n"
                + "dedicated       : 0\n"
                + "address         : " + core + "\n"
                + "siblings        : " + siblings + "\n"
                + "cpu cores       : " + cores + "\n"
                + "version         : FF\n"
                + "identification  : 0133E8\n"
                + "machine         : 2964\n"
                + "cpu MHz dynamic : 5000\n"
                + "cpu MHz static  : 5000\n"
                + "\n";
    }

    @Test
    void s390SummaryLinesAndCpuNumberBlocks() throws Exception {
        StringBuilder hostFile = new StringBuilder(S390_HEADER);
        for (int i = 0; i < 4; i++) hostFile.append("processor ").append(i).append(": version = FF,  identification = 0133E8,  machine = 2964\n");
        hostFile.append('\n');
        for (int i = 0; i < 4; i++) hostFile.append(s390Block(i, i, 4, 4));
        FixtureHost fx = FixtureHost.v1(tmp).proc("cpuinfo", hostFile.toString());
        cpuset(fx, "/ctr", "1,3");
        assertThat(render(fx, fx.container("/ctr"))).isEqualTo(S390_HEADER.replace("# processors    : 4", "# processors    : 2")
                + "processor 0: version = FF,  identification = 0133E8,  machine = 2964\n"
                + "processor 1: version = FF,  identification = 0133E8,  machine = 2964\n"
                + "\n"
                + s390Block(0, 1, 2, 2)
                + s390Block(1, 3, 2, 2));
    }
}
