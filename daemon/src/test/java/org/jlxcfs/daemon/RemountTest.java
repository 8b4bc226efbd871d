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

import static org.assertj.core.api.Assertions.assertThat;

/** When the connection really is lost, running containers are repaired without being restarted. */
@RequiresRootAndFuse
class RemountTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final long MIB = 1024 * 1024;
    Path tmp, socket;
    final List<DaemonProcess> daemons = new ArrayList<>();
    LiveContainer container;
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

    @Test
    void theRemountCommandMovesContainersOffADeadLxcfs() throws Exception {
        Path lx = tmp.resolve("lxcfs");
        Files.createDirectories(lx);
        lxcfs = new ProcessBuilder("/usr/bin/lxcfs", "-f", "--pidfile=" + tmp.resolve("lxcfs.pid"), lx.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("lxcfs.log").toFile()).start();
        for (int i = 0; i < 200 && Run.cmd(T, "cat", lx + "/proc/meminfo").exit() != 0; i++) Thread.sleep(50);
        daemon().awaitServing("proc/meminfo");
        container = new LiveContainer(256 * MIB, 0, null).start(lx);
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        lxcfs.destroyForcibly().waitFor();
        Thread.sleep(300);
        assertThat(memTotal()).contains("Transport endpoint is not connected");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "remount", "--state-dir", socket.getParent().toString(), "--lxcfs-mount", lx.toString(), tmp.resolve("mnt").toString()));
        Run.Result r = Run.cmd(T, cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("FIXED /proc/meminfo <- " + tmp.resolve("mnt/proc/meminfo"));
        assertThat(memTotal()).isEqualTo("MemTotal:         262144 kB\n");
        assertThat(Run.cmd(T, cmd.toArray(String[]::new)).out()).contains("no stale binds found");
    }
}
