package org.jlxcfs.view.cgroup;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Containers share renderings by equal cgroups: equal exactly when they name the same ones. */
class ContainerCgroupsTest {
    @Test
    void equalWhateverTheOrderOfTheLines() {
        ContainerCgroups a = ContainerCgroups.parse(null, List.of("4:cpu,cpuacct:/ctr", "3:memory:/ctr", "0::/ctr"));
        ContainerCgroups b = ContainerCgroups.parse(null, List.of("0::/ctr", "3:memory:/ctr", "4:cpuacct,cpu:/ctr"));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void cgroupNamesCannotForgeAnotherContainersCgroups() {
        // a container names its cgroup so that one path reads like two entries, or like the unified one
        ContainerCgroups honest = new ContainerCgroups(null, Map.of("cpu", "/a", "memory", "/b"), null);
        ContainerCgroups forged = new ContainerCgroups(null, Map.of("cpu", "/a\0memory\0/b"), null);
        ContainerCgroups forged2 = new ContainerCgroups(null, Map.of("cpu", "/a, memory=/b"), null);
        assertThat(honest).isNotEqualTo(forged).isNotEqualTo(forged2);
        ContainerCgroups unified = new ContainerCgroups(null, Map.of(), "/x");
        ContainerCgroups v1 = new ContainerCgroups(null, Map.of("", "/x"), null);
        assertThat(unified).isNotEqualTo(v1);
        assertThat(new ContainerCgroups(null, Map.of("cpu", "/a"), null))
                .isNotEqualTo(new ContainerCgroups(null, Map.of("cpu", "/a"), "/"));
    }
}
