package org.jlxcfs.view.files;

import org.jlxcfs.view.FixtureHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PressureTest {
    static final String HOST_CPU = "some avg10=0.92 avg60=5.33 avg300=16.27 total=205363561\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    static final String HOST_MEMORY = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1820\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1796\n";
    static final String HOST_IO = "some avg10=0.10 avg60=0.21 avg300=0.33 total=9001234\nfull avg10=0.05 avg60=0.11 avg300=0.20 total=7123456\n";
    static final String CTR_CPU = "some avg10=12.50 avg60=8.01 avg300=2.30 total=31415926\nfull avg10=10.00 avg60=6.66 avg300=1.99 total=27182818\n";
    static final String CTR_MEMORY = "some avg10=0.00 avg60=0.12 avg300=0.05 total=4711\nfull avg10=0.00 avg60=0.10 avg300=0.04 total=4242\n";
    static final String CTR_IO = "some avg10=3.14 avg60=2.71 avg300=1.41 total=1234567\nfull avg10=3.00 avg60=2.50 avg300=1.25 total=1000000\n";

    @TempDir
    Path tmp;

    FixtureHost host(FixtureHost fx) {
        return fx.proc("pressure/cpu", HOST_CPU).proc("pressure/memory", HOST_MEMORY).proc("pressure/io", HOST_IO);
    }

    static String render(FixtureHost fx, String resource, String cgroup) throws IOException {
        return new String(new PressureFile(fx.host(), resource).render(fx.container(cgroup)), StandardCharsets.UTF_8);
    }

    @Test
    void v2ContainersSeeTheirOwnPressureIoIncluded() throws IOException {
        FixtureHost fx = host(FixtureHost.v2(tmp)).cgroup("", "/pod 1/ctr", "cpu.pressure", CTR_CPU)
                .cgroup("", "/pod 1/ctr", "memory.pressure", CTR_MEMORY).cgroup("", "/pod 1/ctr", "io.pressure", CTR_IO);
        assertThat(render(fx, "cpu", "/pod 1/ctr")).isEqualTo(CTR_CPU);
        assertThat(render(fx, "memory", "/pod 1/ctr")).isEqualTo(CTR_MEMORY);
        assertThat(render(fx, "io", "/pod 1/ctr")).isEqualTo(CTR_IO);
        assertThat(new PressureFile(fx.host(), "io").path()).isEqualTo("proc/pressure/io");
    }

    @Test
    void hybridHostsReadTheUnifiedHierarchy() throws IOException {
        FixtureHost fx = host(FixtureHost.hybrid(tmp)).cgroup("unified", "/ctr", "io.pressure", CTR_IO)
                .cgroup("unified", "/ctr", "cpu.pressure", CTR_CPU)
                .cgroup("cpu", "/ctr", "cpu.pressure", "not read\n");
        assertThat(render(fx, "io", "/ctr")).isEqualTo(CTR_IO);
        assertThat(render(fx, "cpu", "/ctr")).isEqualTo(CTR_CPU);
        // this cgroup has PSI switched off (cgroup.pressure 0 hides the files): the host's
        assertThat(render(fx, "memory", "/ctr")).isEqualTo(HOST_MEMORY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "memory", "io"})
    void v1RootAndMissingFilesAreTheHosts(String resource) throws IOException {
        FixtureHost v1 = host(FixtureHost.v1(tmp.resolve("v1"))).cgroup("cpu", "/ctr", "cpu.pressure", CTR_CPU);
        String hostFile = switch (resource) {
            case "cpu" -> HOST_CPU;
            case "memory" -> HOST_MEMORY;
            default -> HOST_IO;
        };
        assertThat(render(v1, resource, "/ctr")).isEqualTo(hostFile);
        FixtureHost v2 = host(FixtureHost.v2(tmp.resolve("v2"))).cgroup("", "/", resource + ".pressure", "root\n")
                .cgroup("", "/gone", "memory.max", "max\n");
        assertThat(render(v2, resource, "/")).isEqualTo(hostFile);
        assertThat(render(v2, resource, "/gone")).isEqualTo(hostFile);
    }

    @Test
    void noPsiAnywhereIsAnErrorNamingTheFile() {
        FixtureHost fx = FixtureHost.v2(tmp);
        assertThatThrownBy(() -> render(fx, "cpu", "/ctr")).isInstanceOf(IOException.class).hasMessageContaining("pressure/cpu");
        assertThatThrownBy(() -> new PressureFile(fx.host(), "irq")).isInstanceOf(IllegalArgumentException.class);
    }
}
