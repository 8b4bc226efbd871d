package org.jlxcfs.view;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A container that makes pid namespaces at will cannot grow the resolver's cache without bound. */
class ContainerResolverBoundTest {
    @TempDir
    Path tmp;

    @Test
    void initsArePerNamespaceAndBounded() throws Exception {
        FixtureHost fx = FixtureHost.v2(tmp);
        int namespaces = 40;
        for (int i = 0; i < namespaces; i++) {
            int pid = 10_000 + i;
            // each process is the init (NSpid ... 1) of a pid namespace of its own
            fx.proc(pid + "/status", "Name:\tsh\nPPid:\t1\nNSpid:\t" + pid + "\t1\n")
                    .proc(pid + "/stat", pid + " (sh) S 1 " + pid + " " + pid + " 0 -1 4194560 1032 0 0 0 5 3 0 0 20 0 1 0 "
                            + (5000 + i) + " 2605056 219 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0\n")
                    .proc(pid + "/cgroup", "0::/ns" + i + "\n");
            Files.createDirectories(tmp.resolve("proc/" + pid + "/ns"));
            Files.createSymbolicLink(tmp.resolve("proc/" + pid + "/ns/pid"), Path.of("pid:[" + (4_026_600_000L + i) + "]"));
        }
        ContainerResolver resolver = new ContainerResolver(fx.host(), fx.cgroupLayout(), 4_026_531_836L, 32);
        for (int i = 0; i < namespaces; i++) {
            Container c = resolver.resolve(10_000 + i);
            assertThat(c.initPid()).isEqualTo(10_000 + i);
            assertThat(c.initStartTicks()).isEqualTo(5000 + i);
        }
        assertThat(resolver.cachedNamespaces()).isEqualTo(32);
        // the first ones were evicted, and are found again
        assertThat(resolver.resolve(10_000).cgroups().unified().orElseThrow().path()).isEqualTo("/ns0");
    }
}
