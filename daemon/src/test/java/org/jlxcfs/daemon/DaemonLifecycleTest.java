package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.ReadUntilError;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The daemon as a user runs it: its own process, real signals, real exit codes, real mounts. */
@RequiresRootAndFuse
class DaemonLifecycleTest {
    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private DaemonProcess start(String... args) throws Exception {
        return DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log"), args);
    }

    @Test
    void servesTheLxcfsLayoutAndStopsCleanlyOnSigterm() throws Exception {
        try (DaemonProcess d = start("--threads", "2")) {
            d.awaitServing("proc/loadavg");
            Path mnt = d.mountPoint;
            assertThat(Run.cmd(T, "cat", mnt + "/proc/loadavg").requireSuccess().out())
                    .matches("\\d+\\.\\d\\d \\d+\\.\\d\\d \\d+\\.\\d\\d \\d+/\\d+ \\d+\n");
            assertThat(Run.cmd(T, "cat", mnt + "/proc/meminfo").requireSuccess().out()).startsWith("MemTotal:");
            assertThat(Run.cmd(T, "cat", mnt + "/sys/devices/system/cpu/online").requireSuccess().out())
                    .isEqualTo(Files.readString(Path.of("/sys/devices/system/cpu/online")));
            assertThat(Run.cmd(T, "ls", mnt + "/proc").requireSuccess().out()).contains("cpuinfo", "stat", "uptime", "swaps");
            assertThat(MountTable.at(mnt).orElseThrow().fsType()).isEqualTo("fuse.jlxcfs");
            d.signal("TERM");
            assertThat(d.awaitExit(Duration.ofSeconds(15))).as(d.log()).isZero();
            assertThat(MountTable.at(mnt)).isEmpty();
            assertThat(d.log()).contains("SIGTERM: unmounting " + mnt, "unmounted " + mnt);
        }
    }

    @Test
    void eachWorkerIsPinnedToItsShareOfTheCpusUnlessToldNotTo() throws Exception {
        String all = cpusAllowed(Path.of("/proc/self/status"));
        Assumptions.assumeTrue(!all.matches("\\d+"), "one CPU here: nothing to pin");
        try (DaemonProcess d = start("--threads", "2")) {
            d.awaitServing("proc/uptime");
            Map<String, String> workers = workerCpus(d.process.pid());
            assertThat(workers).as("fuse-worker threads").hasSize(2);
            // Two workers share the allowed CPUs: even and odd positions of the list.
            assertThat(workers.get("fuse-worker-0")).isNotEqualTo(all).isNotEqualTo(workers.get("fuse-worker-1"));
        }
        try (DaemonProcess d = start("--threads", "2", "--no-pin-workers")) {
            d.awaitServing("proc/uptime");
            assertThat(workerCpus(d.process.pid()).values()).containsOnly(all);
        }
    }

    /** Thread name → Cpus_allowed_list of the daemon's FUSE workers. */
    private static Map<String, String> workerCpus(long pid) throws Exception {
        Map<String, String> cpus = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String name = Files.readString(task.resolve("comm")).strip();
                if (name.startsWith("fuse-worker-")) cpus.put(name, cpusAllowed(task.resolve("status")));
            }
        }
        return cpus;
    }

    private static String cpusAllowed(Path status) throws Exception {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .findFirst().orElseThrow().substring("Cpus_allowed_list:".length()).strip();
    }

    @Test
    void ctrlCIsAsCleanAsSigterm() throws Exception {
        try (DaemonProcess d = start()) {
            d.awaitServing("proc/uptime");
            d.signal("INT");
            assertThat(d.awaitExit(Duration.ofSeconds(15))).as(d.log()).isZero();
            assertThat(MountTable.at(d.mountPoint)).isEmpty();
        }
    }

    @Test
    void sigtermWithActiveReadersLeavesNoHungReaderAndNoMount() throws Exception {
        List<Process> readers = new ArrayList<>();
        try (DaemonProcess d = start()) {
            d.awaitServing("proc/meminfo");
            List<Path> flags = new ArrayList<>();
            for (String f : List.of("meminfo", "stat", "uptime", "loadavg")) {
                flags.add(tmp.resolve(f + ".reading"));
                readers.add(ReadUntilError.start(d.mountPoint.resolve("proc/" + f), flags.getLast()));
            }
            ReadUntilError.awaitReading(flags);
            d.signal("TERM");
            assertThat(d.awaitExit(Duration.ofSeconds(15))).as(d.log()).isZero();
            for (Process r : readers) {
                assertThat(Run.await(r, Duration.ofSeconds(10), "reader").requireSuccess().out().trim())
                        .matches("[1-9][0-9]* [A-Z]+");
            }
            assertThat(MountTable.at(d.mountPoint)).isEmpty();
        } finally {
            readers.forEach(Run::kill);
        }
    }

    @Test
    void aSecondDaemonOnTheSameMountPointFailsWithAClearMessageAndTheFirstKeepsServing() throws Exception {
        try (DaemonProcess first = start()) {
            first.awaitServing("proc/uptime");
            try (DaemonProcess second = DaemonProcess.start(first.mountPoint, tmp.resolve("second.log"))) {
                assertThat(second.awaitExit(T)).isEqualTo(1);
                assertThat(second.log()).contains("jlxcfs: " + first.mountPoint
                        + " already holds a live fuse.jlxcfs mount (another daemon serves it); stop that daemon first, or start with --replace");
            }
            assertThat(Run.cmd(T, "cat", first.mountPoint + "/proc/uptime").exit()).isZero();
        }
    }

    @Test
    void aDeadMountFromAKilledDaemonIsNamedAndReplaceRecoversIt() throws Exception {
        Path mnt = tmp.resolve("mnt");
        try (DaemonProcess killed = start()) {
            killed.awaitServing("proc/uptime");
            killed.process.destroyForcibly().waitFor();
            assertThat(Run.cmd(T, "cat", mnt + "/proc/uptime").err()).contains("Transport endpoint is not connected");
            try (DaemonProcess refused = DaemonProcess.start(mnt, tmp.resolve("refused.log"))) {
                assertThat(refused.awaitExit(T)).isEqualTo(1);
                assertThat(refused.log()).contains("already holds a dead fuse.jlxcfs mount", "umount -l " + mnt, "--replace");
            }
            try (DaemonProcess replacing = DaemonProcess.start(mnt, tmp.resolve("replacing.log"), "--replace")) {
                replacing.awaitServing("proc/uptime");
                assertThat(replacing.log()).contains("detached a dead fuse.jlxcfs mount");
                replacing.signal("TERM");
                assertThat(replacing.awaitExit(T)).isZero();
            }
            assertThat(MountTable.at(mnt)).isEmpty();
        }
    }

    @Test
    void anUnmountFromOutsideStopsTheDaemon() throws Exception {
        try (DaemonProcess d = start()) {
            d.awaitServing("proc/uptime");
            Run.cmd(T, "umount", d.mountPoint.toString()).requireSuccess();
            assertThat(d.awaitExit(T)).isZero();
            assertThat(d.log()).contains("was unmounted from outside");
        }
    }

    @Test
    void wrongFlagsAreRefusedWithUsageAndExitCodeTwo() throws Exception {
        try (DaemonProcess d = start("--no-such-flag")) {
            assertThat(d.awaitExit(T)).isEqualTo(2);
            assertThat(d.log()).contains("Unknown option: '--no-such-flag'").containsAnyOf("Usage: jlxcfs", "Possible solutions:");
        }
        try (DaemonProcess d = DaemonProcess.start(tmp.resolve("m2"), tmp.resolve("t.log"), "--threads", "0")) {
            assertThat(d.awaitExit(T)).isEqualTo(2);
            assertThat(d.log()).contains("--threads must be between 1 and 64, got 0");
        }
        try (DaemonProcess d = DaemonProcess.start(tmp.resolve("m3"), tmp.resolve("x.log"), "--threads", "many")) {
            assertThat(d.awaitExit(T)).isEqualTo(2);
            assertThat(d.log()).contains("Invalid value for option '--threads'");
        }
        assertThat(MountTable.at(tmp.resolve("m2"))).isEmpty();
    }

    @Test
    void aMountPointThatIsAFileIsRefused() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        try (DaemonProcess d = DaemonProcess.start(file, tmp.resolve("f.log"))) {
            assertThat(d.awaitExit(T)).isEqualTo(1);
            assertThat(d.log()).contains("jlxcfs: " + file + " is not a directory");
        }
    }

    @Test
    void aDyingWorkerWithoutAKeeperEndsTheDaemonWithCode70AndACleanUnmount() throws Exception {
        Path mnt = tmp.resolve("mnt");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m", "-Djlxcfs.debug.failWorkerAfter=50",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--no-keeper", "--no-remount",
                "--keeper-socket", tmp.resolve("state/keeper.sock").toString(), mnt.toString()));
        try (DaemonProcess d = DaemonProcess.launch(cmd, mnt, tmp.resolve("worker.log"))) {
            d.awaitServing("proc/uptime");
            for (int i = 0; i < 200 && d.process.isAlive(); i++) Run.cmd(T, "cat", mnt + "/proc/uptime");
            assertThat(d.awaitExit(T)).as(d.log()).isEqualTo(Main.EXIT_WORKER_FAILED);
            assertThat(d.log()).contains("died: java.lang.Error: jlxcfs.debug.failWorkerAfter=50",
                    "a FUSE worker died; nothing holds " + mnt + " for a next process (--no-keeper): unmounting");
            assertThat(MountTable.at(mnt)).isEmpty();
        }
    }
}
