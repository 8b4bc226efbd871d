package org.jlxcfs.daemon;

import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.FuseSession;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.jlxcfs.view.ContainerResolver;
import org.jlxcfs.view.VirtualFile;
import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.host.Host;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** A failing view costs only its own read: EIO to that reader, everyone else is still served. */
@RequiresRootAndFuse
class ViewTreeTest {
    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    interface Renderer {
        byte[] render(org.jlxcfs.view.Container c) throws IOException;
    }

    private static VirtualFile file(String path, Renderer r) {
        return new VirtualFile() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public byte[] render(org.jlxcfs.view.Container c) throws IOException {
                return r.render(c);
            }
        };
    }

    @Test
    void aBrokenCgroupFileGivesEioForThatReadOnlyAndTheDaemonKeepsServing() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        VirtualFile flaky = file("proc/meminfo", c -> {
            if (broken.get()) throw new IOException("/sys/fs/cgroup/memory/x/memory.stat holds 'garbage', not a number");
            return ("pid " + c.pid() + "\n").getBytes(StandardCharsets.US_ASCII);
        });
        VirtualFile fine = file("proc/uptime", c -> "1.00 1.00\n".getBytes(StandardCharsets.US_ASCII));
        Host host = Host.real();
        var tree = ViewTree.build(List.of(flaky, fine),
                new ContainerResolver(host, CgroupLayout.discover(host.proc(), Path.of("/sys/fs/cgroup"))));
        try (FuseSession s = FuseSession.mount(tmp.resolve("mnt"), tree, FuseConfig.defaults("jlxcfs-test"), false)) {
            s.awaitInit(Duration.ofSeconds(10));
            Run.Result r = Run.cmd(T, "cat", s.mountPoint() + "/proc/meminfo");
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("Input/output error");
            assertThat(Run.cmd(T, "cat", s.mountPoint() + "/proc/uptime").requireSuccess().out()).isEqualTo("1.00 1.00\n");
            broken.set(false);
            assertThat(Run.cmd(T, "sh", "-c", "echo $$; exec cat " + s.mountPoint() + "/proc/meminfo").requireSuccess().out())
                    .matches("(\\d+)\npid \\1\n");
        }
    }
}
