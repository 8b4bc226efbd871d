package org.jlxcfs.view;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.jlxcfs.view.cgroup.CgroupLayout;
import org.jlxcfs.view.host.Host;
import org.jlxcfs.view.host.ProcessInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real processes in their own pid namespaces (unshare), resolved to their namespace's init. */
@RequiresRootAndFuse
class ContainerResolverLiveTest {
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killAll() {
        started.forEach(Run::kill);
    }

    /** Starts {@code unshare --pid --fork sh -c script} and returns the host pid of its init (sh). */
    private int container(String script) throws Exception {
        Process p = Run.start(Map.of(), "unshare", "--pid", "--fork", "--kill-child", "sh", "-c", script);
        started.add(p);
        for (int i = 0; i < 200; i++) {
            for (ProcessHandle child : p.descendants().toList()) {
                if (Files.exists(Path.of("/proc/" + child.pid())) && ProcessInfo.innermostPid(Host.real(), (int) child.pid()) == 1) {
                    return (int) child.pid();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no init appeared in the new pid namespace");
    }

    private static int childOf(int pid) throws Exception {
        for (int i = 0; i < 200; i++) {
            var kids = ProcessHandle.of(pid).orElseThrow().children().toList();
            if (!kids.isEmpty()) return (int) kids.getFirst().pid();
            Thread.sleep(20);
        }
        throw new AssertionError("process " + pid + " got no child");
    }

    @Test
    void readersInAPidNamespaceResolveToItsInitAndHostReadersToThemselves() throws Exception {
        Host host = Host.real();
        ContainerResolver r = new ContainerResolver(host, CgroupLayout.discover(host.proc(), Path.of("/sys/fs/cgroup")));
        int init = container("sleep 60 & wait");
        int child = childOf(init);
        assertThat(r.resolve(child).pid()).isEqualTo(init);
        assertThat(r.resolve(init).pid()).isEqualTo(init);
        assertThat(r.resolve(child).initPid()).isEqualTo(init);
        assertThat(r.cachedNamespaces()).isEqualTo(1);
        int self = (int) ProcessHandle.current().pid();
        assertThat(r.resolve(self).pid()).as("host pid namespace: own cgroups").isEqualTo(self);
        assertThat(r.resolve(self).initPid()).isEqualTo(1);
    }

    @Test
    void withoutTheKernelIoctlAProcessEnteredFromOutsideIsFoundByTheScan() throws Exception {
        Host host = Host.real();
        ContainerResolver r = new ContainerResolver(host, CgroupLayout.discover(host.proc(), Path.of("/sys/fs/cgroup")),
                ProcessInfo.pidNamespace(host, (int) ProcessHandle.current().pid()));
        int init = container("sleep 60 & wait");
        // nsenter forks into the namespace: the entered process's parent is outside it
        Process entered = Run.start(Map.of(), "nsenter", "--target", String.valueOf(init), "--pid", "--", "sleep", "60");
        started.add(entered);
        int inside = -1;
        for (int i = 0; i < 200 && inside < 0; i++) {
            for (ProcessHandle d : entered.descendants().toList()) {
                if (Files.exists(Path.of("/proc/" + d.pid() + "/ns/pid"))
                        && ProcessInfo.pidNamespace(host, (int) d.pid()) == ProcessInfo.pidNamespace(host, init)) {
                    inside = (int) d.pid();
                }
            }
            Thread.sleep(20);
        }
        assertThat(inside).as("a process entered with nsenter").isPositive();
        assertThat(r.resolve(inside).pid()).isEqualTo(init);
    }

    @Test
    void aVanishedReaderOrANamespaceWithoutInitIsReportedAsGone() throws Exception {
        Host host = Host.real();
        ContainerResolver r = new ContainerResolver(host, CgroupLayout.discover(host.proc(), Path.of("/sys/fs/cgroup")));
        Process p = Run.start(Map.of(), "true");
        int pid = (int) p.pid();
        p.waitFor();
        assertThatThrownBy(() -> r.resolve(pid)).isInstanceOf(ProcessInfo.GoneException.class).hasMessageContaining(String.valueOf(pid));
        assertThatThrownBy(() -> r.resolve(0)).isInstanceOf(ProcessInfo.GoneException.class);
        Run.cmd(Duration.ofSeconds(5), "true");
    }
}
