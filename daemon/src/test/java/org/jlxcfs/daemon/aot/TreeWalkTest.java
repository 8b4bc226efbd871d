package org.jlxcfs.daemon.aot;

import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The training walk reaches every file of a tree through the request codec, as a reader would. */
class TreeWalkTest {
    private final Map<String, Integer> renders = new HashMap<>();

    private Content counted(String path, String text) {
        return Content.rendered(caller -> {
            renders.merge(path, 1, Integer::sum);
            assertThat(caller.pid()).isEqualTo(4242);
            return text.getBytes(StandardCharsets.US_ASCII);
        });
    }

    @Test
    void readsEveryFileOnceThenTheTopLevelOnesPerRound() {
        VirtualTree tree = VirtualTree.builder()
                .file("proc/meminfo", counted("proc/meminfo", "MemTotal: 1 kB\n"))
                .file("proc/stat", counted("proc/stat", "cpu 1 2 3\n"))
                .file("proc/pressure/cpu", counted("proc/pressure/cpu", "some avg10=0.00\n"))
                .file("sys/devices/system/cpu/online", counted("online", "0-1\n"))
                .build();
        TreeWalk walk = new TreeWalk(tree, FuseConfig.defaults("test"), 4242);
        assertThat(walk.walk()).isEqualTo(2);
        assertThat(renders).containsOnlyKeys("proc/meminfo", "proc/stat", "proc/pressure/cpu", "online");
        renders.clear();
        assertThat(walk.readAgain(3)).isEqualTo(3L * ("MemTotal: 1 kB\n".length() + "cpu 1 2 3\n".length()));
        assertThat(renders).containsOnlyKeys("proc/meminfo", "proc/stat");
    }
}
