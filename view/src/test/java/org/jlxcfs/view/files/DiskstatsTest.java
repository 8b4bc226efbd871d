package org.jlxcfs.view.files;

import org.jlxcfs.view.FixtureHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DiskstatsTest {
    /** Host devices in this machine's format (kernel 6.18: 20 fields, %4d %7d %s). */
    static final String HOST = """
               7       0 loop0 52 0 2136 22 0 0 0 0 0 40 22 0 0 0 0 0 0
               8       0 sda 10312 2207 1120384 4467 20471 15219 2313720 21337 0 24476 28210 0 0 0 0 2402 2405
               8       1 sda1 10200 2207 1110000 4400 20471 15219 2313720 21337 0 24400 25737 0 0 0 0 0 0
             254       0 vda 68299 9335 3522874 31245 3490 7479 459224 2245 0 6740 34024 4477 17 115136 523 175 10
             253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
             259       0 nvme0n1 512 0 40960 80 7 0 56 2 0 90 82 0 0 0 0 0 0
            """;

    @TempDir
    Path tmp;

    static String render(FixtureHost fx, String cgroup) throws IOException {
        return new String(new DiskstatsFile(fx.host()).render(fx.container(cgroup)), StandardCharsets.UTF_8);
    }

    @Test
    void v2IoStat() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("diskstats", HOST).cgroup("", "/pod/ctr", "io.stat", """
                254:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
                259:0 rbytes=0 wbytes=0 rios=0 wios=0 dbytes=0 dios=0
                8:0 rbytes=4096 wbytes=1000 rios=1 wios=1 dbytes=1048576 dios=2 cost.vrate=100.00 cost.usage=4 cost.wait=0 cost.indebt=0 cost.indelay=0
                252:0 rbytes=8192 wbytes=0 rios=2 wios=0 dbytes=0 dios=0
                """);
        // host order and names; untouched nvme0n1 and the unknown 252:0 left out; 1000 bytes = 1 sector
        assertThat(render(fx, "/pod/ctr")).isEqualTo("""
                   8       0 sda 1 0 8 0 1 0 1 0 0 0 0 2 0 2048 0 0 0
                 254       0 vda 192 0 2850 0 353 0 614792 0 0 0 0 0 0 0 0 0 0
                """);
    }

    @Test
    void v2WithoutIoYetIsEmptyAndWithoutTheControllerIsTheHosts() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("diskstats", HOST).cgroup("", "/idle", "io.stat", "")
                .cgroup("", "/noio", "memory.max", "max\n");
        assertThat(render(fx, "/idle")).isEmpty();
        assertThat(render(fx, "/noio")).isEqualTo(HOST);
        assertThat(render(fx, "/")).isEqualTo(HOST);
    }

    @ParameterizedTest
    @EnumSource(value = FixtureHost.Layout.class, names = {"V1", "HYBRID"})
    void v1ThrottleFilesOfCurrentKernels(FixtureHost.Layout layout) throws IOException {
        FixtureHost fx = FixtureHost.of(layout, tmp).proc("diskstats", HOST)
                .cgroup("blkio", "/my pod/ctr 1", "blkio.throttle.io_serviced_recursive", """
                        254:0 Read 192
                        254:0 Write 353
                        254:0 Sync 400
                        254:0 Async 145
                        254:0 Discard 3
                        254:0 Total 548
                        8:0 Read 0
                        8:0 Write 0
                        8:0 Sync 0
                        8:0 Async 0
                        8:0 Discard 0
                        8:0 Total 0
                        Total 548
                        """)
                .cgroup("blkio", "/my pod/ctr 1", "blkio.throttle.io_service_bytes_recursive", """
                        254:0 Read 1459200
                        254:0 Write 314773504
                        254:0 Sync 316232704
                        254:0 Async 0
                        254:0 Discard 12288
                        254:0 Total 316244992
                        8:0 Read 0
                        8:0 Write 0
                        8:0 Sync 0
                        8:0 Async 0
                        8:0 Discard 0
                        8:0 Total 0
                        Total 316244992
                        """)
                // the cgroup's own (non-recursive) counters are smaller: must not be used
                .cgroup("blkio", "/my pod/ctr 1", "blkio.throttle.io_serviced", "254:0 Read 1\n254:0 Write 1\n254:0 Total 2\nTotal 2\n")
                .cgroup("blkio", "/my pod/ctr 1", "blkio.throttle.io_service_bytes", "254:0 Read 512\n254:0 Write 512\n254:0 Total 1024\nTotal 1024\n")
                // this machine's BFQ files (only for BFQ-scheduled devices): not used
                .cgroup("blkio", "/my pod/ctr 1", "blkio.bfq.io_serviced_recursive", "254:0 Read 5\n");
        assertThat(render(fx, "/my pod/ctr 1")).isEqualTo(
                " 254       0 vda 192 0 2850 0 353 0 614792 0 0 0 0 3 0 24 0 0 0\n");
    }

    @Test
    void v1OldKernelsWithoutRecursiveThrottleFiles() throws IOException {
        FixtureHost fx = FixtureHost.v1(tmp).proc("diskstats", HOST)
                .cgroup("blkio", "/ctr", "blkio.throttle.io_serviced", "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n")
                .cgroup("blkio", "/ctr", "blkio.throttle.io_service_bytes", "8:0 Read 40960\n8:0 Write 81920\n8:0 Total 122880\nTotal 122880\n");
        assertThat(render(fx, "/ctr")).isEqualTo("   8       0 sda 10 0 80 0 20 0 160 0 0 0 0 0 0 0 0 0 0\n");
    }

    @Test
    void v1CfqFilesAddMergesAndTimes() throws IOException {
        FixtureHost fx = FixtureHost.v1(tmp).proc("diskstats", HOST)
                .cgroup("blkio", "/lxc/c1", "blkio.io_serviced_recursive",
                        "8:0 Read 1000\n8:0 Write 2000\n8:0 Sync 2500\n8:0 Async 500\n8:0 Total 3000\nTotal 3000\n")
                .cgroup("blkio", "/lxc/c1", "blkio.io_service_bytes_recursive",
                        "8:0 Read 4096000\n8:0 Write 8192000\n8:0 Sync 12288000\n8:0 Async 0\n8:0 Total 12288000\nTotal 12288000\n")
                .cgroup("blkio", "/lxc/c1", "blkio.io_merged_recursive",
                        "8:0 Read 30\n8:0 Write 40\n8:0 Sync 70\n8:0 Async 0\n8:0 Total 70\nTotal 70\n")
                .cgroup("blkio", "/lxc/c1", "blkio.io_service_time_recursive",
                        "8:0 Read 1500000000\n8:0 Write 2500999999\n8:0 Sync 4000999999\n8:0 Async 0\n8:0 Total 4000999999\nTotal 4000999999\n")
                .cgroup("blkio", "/lxc/c1", "blkio.io_wait_time_recursive",
                        "8:0 Read 500000000\n8:0 Write 250000000\n8:0 Sync 750000000\n8:0 Async 0\n8:0 Total 750000000\nTotal 750000000\n")
                .cgroup("blkio", "/lxc/c1", "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Total 1\n")
                .cgroup("blkio", "/lxc/c1", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 512\n8:0 Total 512\n");
        // ms reading 1500 + 500, writing 2500 + 250, doing I/O 4000, weighted the sum 4750
        assertThat(render(fx, "/lxc/c1")).isEqualTo("   8       0 sda 1000 30 8000 2000 2000 40 16000 2750 0 4000 4750 0 0 0 0 0 0\n");
    }

    @ParameterizedTest
    @EnumSource(value = FixtureHost.Layout.class, names = {"V1", "HYBRID"})
    void v1WithoutUsableFilesAndRootAreTheHosts(FixtureHost.Layout layout) throws IOException {
        FixtureHost fx = FixtureHost.of(layout, tmp).proc("diskstats", HOST)
                .cgroup("blkio", "/ctr", "blkio.reset_stats", "")
                .cgroup("blkio", "/half", "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n");
        assertThat(render(fx, "/ctr")).isEqualTo(HOST);
        assertThat(render(fx, "/half")).isEqualTo(HOST);
        assertThat(render(fx, "/")).isEqualTo(HOST);
    }

    @Test
    void garbageCountsAsZeroAndHugeValuesSaturate() throws IOException {
        FixtureHost fx = FixtureHost.v2(tmp).proc("diskstats", HOST + "garbage line\n  x y z 1 2\n").cgroup("", "/ctr", "io.stat", """
                254:0 rbytes=-5 wbytes=abc rios=18446744073709551615 wios= dbytes=1024 dios=1 =3 junk
                nonsense
                8:0
                """);
        assertThat(render(fx, "/ctr")).isEqualTo(" 254       0 vda 9223372036854775807 0 0 0 0 0 0 0 0 0 0 1 0 2 0 0 0\n");
    }
}
