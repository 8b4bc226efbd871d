package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** When the connection really is lost, running containers are repaired without being restarted. */
@RequiresRootAndFuse
class RemountTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final long MIB = 1024 * 1024;
    Path tmp, socket;
    final List<DaemonProcess> daemons = new ArrayList<>();
    LiveContainer container, other;
    Process lxcfs;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("jlxcfs-remount");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = tmp.resolve("state/keeper.sock");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (container != null) container.close();
        if (other != null) other.close();
        for (DaemonProcess d : daemons.reversed()) {
            if (d.process.isAlive()) {
                d.signal("TERM");
                d.awaitExit(Duration.ofSeconds(20));
            }
            d.close();
        }
        DaemonProcess.killKeeper(socket);
        if (lxcfs != null) {
            lxcfs.destroyForcibly().waitFor();
        }
        for (Path m : List.of(tmp.resolve("mnt"), tmp.resolve("lxcfs"))) {
            while (MountTable.at(m).isPresent()) Run.cmd(T, "umount", "-l", m.toString());
        }
        Run.deleteTree(tmp);
    }

    private DaemonProcess daemon(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--keeper-socket", socket.toString()));
        args.addAll(List.of(extra));
        DaemonProcess d = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon-" + daemons.size() + ".log"),
                args.toArray(String[]::new));
        daemons.add(d);
        return d;
    }

    private String memTotal() {
        return container.exec("head -1 /proc/meminfo").out() + container.exec("head -1 /proc/meminfo").err();
    }

    @Test
    void keeperAndDaemonKilledThenANewDaemonRepairsTheContainers() throws Exception {
        DaemonProcess first = daemon().awaitServing("proc/meminfo");
        container = new LiveContainer(256 * MIB, 0, null).start(tmp.resolve("mnt"));
        int init = container.initPid();
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        DaemonProcess.killKeeper(socket);
        first.process.destroyForcibly().waitFor();
        Thread.sleep(300);
        assertThat(memTotal()).contains("Transport endpoint is not connected");
        DaemonProcess second = daemon("--replace").awaitLog("FIXED /proc/meminfo", T);
        assertThat(second.log()).contains("FIXED /proc/uptime", "FIXED /sys/devices/system/cpu/online");
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        assertThat(container.exec("cat /proc/uptime /proc/stat /proc/cpuinfo /sys/devices/system/cpu/online").exit()).isZero();
        assertThat(container.initPid()).as("the same container, not restarted").isEqualTo(init);
    }

    /** A container bound to an LXCFS of ours, which then dies: the container reads ENOTCONN. */
    private Path containerOnADeadLxcfs() throws Exception {
        Path lx = tmp.resolve("lxcfs");
        lxcfs = startLxcfs(lx, "lxcfs");
        daemon().awaitServing("proc/meminfo");
        container = new LiveContainer(256 * MIB, 0, null).start(lx);
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        lxcfs.destroyForcibly().waitFor();
        Thread.sleep(300);
        assertThat(memTotal()).contains("Transport endpoint is not connected");
        return lx;
    }

    @Test
    void theRemountCommandMovesContainersOffADeadLxcfs() throws Exception {
        Path lx = containerOnADeadLxcfs();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "remount", "--state-dir", socket.getParent().toString(), "--lxcfs-mount", lx.toString(), tmp.resolve("mnt").toString()));
        Run.Result r = Run.cmd(T, cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("FIXED /proc/meminfo <- " + tmp.resolve("mnt/proc/meminfo"));
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        assertThat(Run.cmd(T, cmd.toArray(String[]::new)).out()).contains("no stale binds found");
    }

    /**
     * Our own LXCFS at {@code at}: the installed one, else one unpacked (dpkg -x of lxcfs and
     * libfuse3-3) under $JLXCFS_TEST_LXCFS_ROOT; the test is skipped without either.
     */
    private Process startLxcfs(Path at, String name) throws Exception {
        String unpacked = System.getenv("JLXCFS_TEST_LXCFS_ROOT");
        Path binary = Path.of("/usr/bin/lxcfs");
        if (!Files.isExecutable(binary) && unpacked != null) binary = Path.of(unpacked, "usr/bin/lxcfs");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(binary), "no lxcfs installed (nor JLXCFS_TEST_LXCFS_ROOT)");
        Files.createDirectories(at);
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-f", "--pidfile=" + tmp.resolve(name + ".pid"), at.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        if (unpacked != null && !binary.startsWith("/usr/bin")) {
            pb.environment().put("LD_LIBRARY_PATH", Path.of(unpacked, "lib/x86_64-linux-gnu") + ":"
                    + Path.of(unpacked, "usr/lib/x86_64-linux-gnu/lxcfs"));
        }
        Process p = pb.start();
        for (int i = 0; i < 200 && Run.cmd(T, "cat", at + "/proc/meminfo").exit() != 0; i++) Thread.sleep(50);
        return p;
    }

    private Run.Result remountCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "remount", "--state-dir", socket.getParent().toString()));
        cmd.addAll(List.of(args));
        return Run.cmd(T, cmd.toArray(String[]::new));
    }

    /** The type of what the container's init sees mounted at {@code path}: the topmost mount there. */
    private static String typeAt(LiveContainer c, String path) throws Exception {
        String type = null;
        for (MountTable.Mount m : MountTable.read(Path.of("/proc/" + c.initPid() + "/mountinfo"))) {
            if (m.mountPoint().equals(path)) type = m.fsType();
        }
        return type;
    }

    /**
     * Without --all the dead LXCFS binds were looked up by the device mounted at --lxcfs-mount: after
     * an unmount of the dead LXCFS there is none, and a restarted LXCFS is a new device. They are
     * now recognised by type and by being dead; binds of the live LXCFS are left alone.
     */
    @Test
    void deadLxcfsBindsAreFoundWithoutAllAfterItsMountWasRemovedAndAnotherLxcfsMountedThere() throws Exception {
        Path lx = containerOnADeadLxcfs();
        // the admin unmounts the dead LXCFS (fusermount -u) and starts it again at the same place
        Run.cmd(T, "umount", "-l", lx.toString()).requireSuccess();
        assertThat(MountTable.at(lx)).isEmpty();
        assertThat(remountCommand("--dry-run", tmp.resolve("mnt").toString()).out())
                .contains("would bind " + tmp.resolve("mnt/proc/meminfo") + " over /proc/meminfo");
        lxcfs = startLxcfs(lx, "lxcfs-2");
        other = new LiveContainer(128 * MIB, 0, null).start(lx);
        assertThat(typeAt(other, "/proc/meminfo")).isEqualTo("fuse.lxcfs");

        Run.Result r = remountCommand("--lxcfs-mount", lx.toString(), tmp.resolve("mnt").toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("FIXED /proc/meminfo <- " + tmp.resolve("mnt/proc/meminfo"));
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        assertThat(typeAt(container, "/proc/meminfo")).isEqualTo("fuse.jlxcfs");
        // the container on the live LXCFS is not touched
        assertThat(r.out()).doesNotContain("pid " + other.initPid() + ":");
        assertThat(typeAt(other, "/proc/meminfo")).isEqualTo("fuse.lxcfs");
        assertThat(other.exec("head -1 /proc/meminfo").out()).isEqualTo("MemTotal:         131072 kB\n");
        assertThat(remountCommand(tmp.resolve("mnt").toString()).out()).contains("no stale binds found");
    }

    @Test
    void aHungHelperIsKilledAfterItsTimeLimitWithAClearMessage() throws Exception {
        var agent = new org.jlxcfs.daemon.remount.RemountAgent(Path.of("/proc"), tmp.resolve("mnt"), Set.of(), Set.of())
                .withHelper(List.of("/bin/sh", "-c", "echo FIXED /proc/uptime '<-' x; exec sleep 600", "sh"), Duration.ofSeconds(1));
        var repairs = List.of(
                new org.jlxcfs.daemon.remount.RemountAgent.Repair(4242, 1, "/proc/uptime", "/x/proc/uptime"),
                new org.jlxcfs.daemon.remount.RemountAgent.Repair(4242, 1, "/proc/meminfo", "/x/proc/meminfo"));
        long t0 = System.nanoTime();
        List<String> lines = agent.repair(repairs);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("returns soon after the 1 s limit").isBetween(900L, 10_000L);
        assertThat(lines).containsExactly(
                "pid 4242: FIXED /proc/uptime <- x",
                "pid 4242: FAILED /proc/meminfo <- /x/proc/meminfo the remount helper (pid " + lines.get(1).replaceAll(".*\\(pid (\\d+)\\).*", "$1")
                        + ") did not finish within 1 s and was killed");
        String helperPid = lines.get(1).replaceAll(".*\\(pid (\\d+)\\).*", "$1");
        assertThat(ProcessHandle.of(Long.parseLong(helperPid)).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    /** Between the scan and the helper the container may change its paths: a target that is no longer dead stays. */
    @Test
    void aTargetThatIsNoLongerADeadMountIsLeftAlone() throws Exception {
        Path target = Files.writeString(tmp.resolve("target"), "target\n");
        Path live = Files.writeString(tmp.resolve("live"), "live\n");
        Path fresh = Files.writeString(tmp.resolve("fresh"), "fresh\n");
        Run.cmd(T, "mount", "--bind", live.toString(), target.toString()).requireSuccess();
        try {
            int self = (int) ProcessHandle.current().pid();
            List<String> lines = new org.jlxcfs.daemon.remount.RemountAgent(Path.of("/proc"), tmp.resolve("mnt"), Set.of(), Set.of())
                    .repair(List.of(new org.jlxcfs.daemon.remount.RemountAgent.Repair(self, 0, target.toString(), fresh.toString())));
            assertThat(lines).containsExactly("pid " + self + ": FAILED " + target + " <- " + fresh
                    + " no longer a dead mount there; left alone");
            assertThat(Files.readString(target)).isEqualTo("live\n");
        } finally {
            while (MountTable.at(target).isPresent()) Run.cmd(T, "umount", "-l", target.toString());
        }
    }
}
