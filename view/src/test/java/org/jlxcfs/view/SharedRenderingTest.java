package org.jlxcfs.view;

import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.cgroup.ContainerCgroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class SharedRenderingTest {
    @TempDir
    Path tmp;

    /** Renders "N pid" with a count of renderings, so a shared rendering shows by its number. */
    private static VirtualFile counting(AtomicInteger renders) {
        return new VirtualFile() {
            @Override
            public String path() {
                return "proc/meminfo";
            }

            @Override
            public byte[] render(Container c) {
                return (renders.incrementAndGet() + " " + c.pid()).getBytes(StandardCharsets.US_ASCII);
            }
        };
    }

    @Test
    void readersOfOneContainerShareARenderingAndNoOtherContainerGetsIt() throws Exception {
        CgroupLayout layout = FixtureHost.v2(tmp).cgroupLayout();
        AtomicInteger renders = new AtomicInteger();
        VirtualFile f = SharedRendering.of(counting(renders), 60_000_000_000L);
        // resolved twice, as two readers of one container are: equal, not the same objects
        Container a1 = new Container(100, 100, 5, new ContainerCgroups(layout, Map.of(), "/pod/a"));
        Container a2 = new Container(100, 100, 5, new ContainerCgroups(layout, Map.of(), "/pod/a"));
        assertThat(new String(f.render(a1), StandardCharsets.US_ASCII)).isEqualTo("1 100");
        assertThat(new String(f.render(a2), StandardCharsets.US_ASCII)).isEqualTo("1 100");
        Container otherCgroup = new Container(100, 100, 5, new ContainerCgroups(layout, Map.of(), "/pod/b"));
        Container recycledInit = new Container(100, 100, 9, new ContainerCgroups(layout, Map.of(), "/pod/a"));
        Container otherInit = new Container(200, 200, 5, new ContainerCgroups(layout, Map.of(), "/pod/a"));
        assertThat(new String(f.render(otherCgroup), StandardCharsets.US_ASCII)).isEqualTo("2 100");
        assertThat(new String(f.render(recycledInit), StandardCharsets.US_ASCII)).isEqualTo("3 100");
        assertThat(new String(f.render(otherInit), StandardCharsets.US_ASCII)).isEqualTo("4 200");
        assertThat(f.path()).isEqualTo("proc/meminfo");
        assertThat(SharedRendering.of(f)).as("not wrapped twice").isSameAs(f);
    }

    @Test
    void afterItsTimeARenderingIsMadeAgain() throws Exception {
        CgroupLayout layout = FixtureHost.v2(tmp).cgroupLayout();
        AtomicInteger renders = new AtomicInteger();
        VirtualFile f = SharedRendering.of(counting(renders), 20_000_000L);
        Container a = new Container(100, 100, 5, new ContainerCgroups(layout, Map.of(), "/pod/a"));
        f.render(a);
        Thread.sleep(40);
        f.render(a);
        assertThat(renders).hasValue(2);
    }
}
