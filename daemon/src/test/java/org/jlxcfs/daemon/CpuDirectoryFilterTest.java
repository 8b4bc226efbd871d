package org.jlxcfs.daemon;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.view.cgroup.CpuSet;
import org.jlxcfs.view.cgroup.CpuView;
import org.jlxcfs.view.files.ShownCpus;
import org.jlxcfs.view.host.Host;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-reader answer of the cpu directory is kept per process identity, not per pid. */
class CpuDirectoryFilterTest {
    @TempDir
    Path tmp;

    private Host host() {
        return new Host(tmp.resolve("proc"), tmp.resolve("sys"));
    }

    /** /proc/PID/stat of a process started {@code start} ticks after boot. */
    private void process(int pid, long start) throws IOException {
        Path stat = tmp.resolve("proc/" + pid + "/stat");
        Files.createDirectories(stat.getParent());
        Files.writeString(stat, pid + " (sh) S 1 " + pid + " " + pid + " 0 -1 4194560 1032 0 0 0 5 3 0 0 20 0 1 0 "
                + start + " 2605056 219 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0\n");
    }

    /** Answers "the host's CPUs" (identity) or "2 CPUs" by the start time the fixture gives the pid. */
    private final List<Integer> resolved = new ArrayList<>();

    private ShownCpus resolve(int pid) throws IOException {
        resolved.add(pid);
        String stat = Files.readString(tmp.resolve("proc/" + pid + "/stat"));
        boolean containerA = stat.contains(" 1000 2605056 ");
        CpuSet all = CpuSet.parse("0-7");
        return ShownCpus.of(new CpuView(all, all.limit(containerA ? 2 : 8), OptionalDouble.empty()), all);
    }

    @Test
    void aRecycledPidGetsItsOwnContainersCpusNotTheOldOnes() throws Exception {
        process(4242, 1000); // a process of container A (2 CPUs)
        CpuDirectoryFilter filter = new CpuDirectoryFilter(host(), this::resolve, 16);
        Caller reader = new Caller(4242, 0, 0);
        assertThat(filter.visible(reader, "cpu2")).isFalse();
        assertThat(filter.visible(reader, "cpu1")).isTrue();
        assertThat(resolved).containsExactly(4242);
        // A exits; container B (8 CPUs) starts a process that gets pid 4242 within the second (not
        // within the few milliseconds kernel files are shared for: the kernel hands out every other
        // free pid before it reuses one)
        process(4242, 2000);
        Thread.sleep(20);
        assertThat(filter.visible(reader, "cpu5")).as("B's own answer").isTrue();
        assertThat(resolved).containsExactly(4242, 4242);
    }

    @Test
    void manyReadersPushOutTheOldestOnlyAndAGoneReaderIsEsrch() throws Exception {
        CpuDirectoryFilter filter = new CpuDirectoryFilter(host(), this::resolve, 16);
        process(100, 1000);
        filter.visible(new Caller(100, 0, 0), "cpu0");
        for (int pid = 200; pid < 240; pid++) {
            process(pid, 5000);
            filter.visible(new Caller(pid, 0, 0), "cpu0");
            filter.visible(new Caller(100, 0, 0), "cpu0"); // still read: never pushed out
        }
        assertThat(resolved.stream().filter(p -> p == 100)).hasSize(1);
        assertThatThrownBy(() -> filter.visible(new Caller(999, 0, 0), "cpu0")).isInstanceOf(FuseError.class)
                .hasFieldOrPropertyWithValue("errno", org.jlxcfs.fuse.Errno.ESRCH);
    }
}
