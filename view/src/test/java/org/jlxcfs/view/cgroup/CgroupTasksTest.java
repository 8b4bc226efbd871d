package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.FixtureHost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CgroupTasksTest {
    @TempDir
    Path tmp;

    @Test
    void countsTheWholeSubtreeWithoutADepthLimit() {
        FixtureHost fx = FixtureHost.v2(tmp)
                .cgroup("", "/ctr", "cgroup.procs", "10\n11\n")
                .cgroup("", "/ctr/a/b/c/d/e", "cgroup.procs", "12\n")
                .cgroup("", "/ctr/x", "cgroup.procs", "13\n11\n"); // listed twice (threaded v2 cgroups)
        TaskFixtures.process(fx, 10, "init", "10\t1", 1, 'S');
        TaskFixtures.process(fx, 11, "java", "11\t5", 1, 'R', 'R', 'S', 'D');
        TaskFixtures.process(fx, 12, "dd", "12\t6", 1, 'D');
        TaskFixtures.process(fx, 13, "zombie", "13\t7", 1, 'Z');
        var cg = fx.container("/ctr").cgroups().unified().orElseThrow();
        assertThat(CgroupTasks.count(fx.host(), cg)).hasValue(new CgroupTasks.Counts(4, 7, 2, 2));
        CgroupTasks t = new CgroupTasks(fx.host());
        assertThat(t.scanPids(cg.directory())).isTrue();
        assertThat(t.pidCount()).isEqualTo(4);
        assertThat(t.pid(0)).isEqualTo(10);
        assertThat(t.pid(3)).isEqualTo(13);
        assertThat(t.count(tmp.resolve("sys/fs/cgroup/gone"))).isEmpty();
        // a process that exited between the listing and the reading is not counted
        assertThat(t.count(fx.cgroupDir("", "/ctr/y"))).hasValue(new CgroupTasks.Counts(0, 0, 0, 0));
        fx.cgroup("", "/ctr/y", "cgroup.procs", "77\n");
        assertThat(t.count(fx.cgroupDir("", "/ctr/y"))).hasValue(new CgroupTasks.Counts(0, 0, 0, 0));
    }

    @Test
    void namespacePids() {
        FixtureHost fx = FixtureHost.v2(tmp);
        TaskFixtures.process(fx, 500, "init", "500\t1", 1, 'S');
        TaskFixtures.process(fx, 600, "nested", "600\t20\t1", 1, 'S');
        CgroupTasks t = new CgroupTasks(fx.host());
        assertThat(t.nsLevel(500)).isEqualTo(1);
        assertThat(t.nsPid(600, 1)).isEqualTo(20);
        assertThat(t.nsPid(600, -1)).isEqualTo(1);
        assertThat(t.nsPid(600, 0)).isEqualTo(600);
        assertThat(t.nsPid(500, 2)).isEqualTo(-1);
        assertThat(t.nsPid(999, 0)).isEqualTo(-1);
    }

    /** This machine's own /proc and cgroups (read only): our own threads are among the counted ones. */
    @Test
    void liveHost() throws Exception {
        Path root = Files.isRegularFile(Path.of("/sys/fs/cgroup/cpu/cgroup.procs")) ? Path.of("/sys/fs/cgroup/cpu")
                : Path.of("/sys/fs/cgroup");
        assumeTrue(Files.isRegularFile(root.resolve("cgroup.procs")) && Files.isDirectory(Path.of("/proc/self/task")));
        CgroupTasks t = new CgroupTasks(Path.of("/proc"));
        int self = (int) ProcessHandle.current().pid();
        assertThat(t.scanProcess(self)).isTrue();
        assertThat(t.running()).as("this thread runs while it reads its own stat").isGreaterThanOrEqualTo(1);
        assertThat(t.threads()).isGreaterThanOrEqualTo(Thread.activeCount());
        assertThat(t.startTime()).isPositive();
        assertThat(t.nsPid(self, t.nsLevel(self))).isEqualTo(self);
        CgroupTasks.Counts all = t.count(root).orElseThrow();
        assertThat(all.processes()).isGreaterThanOrEqualTo(1);
        assertThat(all.threads()).isGreaterThanOrEqualTo(all.running() + all.blocked());
        System.out.println("live root cgroup " + root + ": " + all);
    }
}
