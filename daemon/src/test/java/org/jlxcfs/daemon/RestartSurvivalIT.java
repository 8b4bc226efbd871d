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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restart, crash and upgrade of the daemon under full-speed readers in three containers
 * (meminfo, stat, uptime bind-mounted over /proc): no failed read, no hung reader, and every
 * value still the container's. Runs after `package` (the upgrade case needs the jar).
 */
@RequiresRootAndFuse
class RestartSurvivalIT {
    private static final long MIB = 1024 * 1024;
    private static final int ROUNDS = Integer.getInteger("jlxcfs.restart.rounds", 20);

    Path tmp, mnt, socket;
    final List<DaemonProcess> daemons = new ArrayList<>();
    final List<LiveContainer> containers = new ArrayList<>();
    int logs;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("jlxcfs-restart");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        mnt = tmp.resolve("mnt");
        socket = tmp.resolve("keeper/keeper.sock");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (LiveContainer c : containers) c.close();
        DaemonProcess last = daemons.isEmpty() ? null : daemons.getLast();
        if (last != null && last.process.isAlive()) {
            last.signal("TERM");
            last.awaitExit(Duration.ofSeconds(20));
        }
        for (DaemonProcess d : daemons) d.close();
        DaemonProcess.killKeeper(socket);
        if (MountTable.at(mnt).isPresent()) Run.cmd(Duration.ofSeconds(10), "umount", "-l", mnt.toString());
        Run.deleteTree(tmp);
    }

    private DaemonProcess daemon(List<String> command) throws Exception {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("--keeper-socket", socket.toString(), mnt.toString()));
        DaemonProcess d = DaemonProcess.launch(cmd, mnt, tmp.resolve("daemon-" + logs++ + ".log"));
        daemons.add(d);
        return d;
    }

    private static List<String> java() {
        return List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    /**
     * A reader in a container: reads FILE in a loop for SECONDS, checks each content is the
     * container's, and prints "reads=N failed=N longest=SECONDS first_error=..." at the end.
     */
    static final String READER = """
            import sys, time
            path, kind, seconds, started = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
            end = time.time() + seconds; n = failed = 0; longest = 0.0; first = ''
            while time.time() < end:
                t = time.monotonic()
                try:
                    data = open(path, 'rb').read().decode()
                    if kind == 'meminfo': ok = data.startswith('MemTotal:         262144 kB\\n')
                    elif kind == 'stat': ok = sum(1 for l in data.splitlines() if l[:3] == 'cpu' and l[3:4].isdigit()) == 1
                    else: ok = abs(float(data.split()[0]) - (time.monotonic() - started)) < 5
                    if not ok:
                        failed += 1; first = first or 'wrong content: ' + data[:60].replace('\\n', '|')
                except OSError as e:
                    failed += 1; first = first or str(e)
                n += 1; longest = max(longest, time.monotonic() - t)
            print('reads=%d failed=%d longest=%.3f first_error=%s' % (n, failed, longest, first))
            """;

    private record Reader(String kind, Process process) {}

    private List<Reader> readers(double seconds) throws Exception {
        List<Reader> rs = new ArrayList<>();
        String[][] files = {{"meminfo", "/proc/meminfo"}, {"stat", "/proc/stat"}, {"uptime", "/proc/uptime"}};
        for (String[] f : files) {
            LiveContainer c = new LiveContainer(256 * MIB, 0.5, null).start(mnt);
            containers.add(c);
            double started = monotonicNow() - Double.parseDouble(c.exec("cut -d' ' -f1 /proc/uptime").requireSuccess().out().strip());
            Files.writeString(tmp.resolve("reader.py"), READER);
            rs.add(new Reader(f[0], c.spawn("exec python3 " + tmp.resolve("reader.py") + " " + f[1] + " " + f[0] + " "
                    + seconds + " " + started)));
        }
        return rs;
    }

    private static double monotonicNow() throws Exception {
        return Double.parseDouble(Run.cmd(Duration.ofSeconds(10), "python3", "-c", "import time; print(time.monotonic())")
                .requireSuccess().out().strip());
    }

    /** Waits for the readers (each must end within a bound after its run time) and checks them. */
    private String verdict(List<Reader> readers, double seconds) {
        StringBuilder summary = new StringBuilder();
        for (Reader r : readers) {
            Run.Result res = Run.await(r.process(), Duration.ofSeconds((long) seconds + 30), r.kind() + " reader");
            Matcher m = Pattern.compile("reads=(\\d+) failed=(\\d+) longest=([0-9.]+) first_error=(.*)").matcher(res.out());
            assertThat(m.find()).as("reader output: " + res.out() + res.err()).isTrue();
            summary.append(r.kind()).append(": ").append(m.group(1)).append(" reads, ").append(m.group(2))
                    .append(" failed, longest stall ").append(m.group(3)).append(" s; ");
            assertThat(Long.parseLong(m.group(1))).as(r.kind() + " reads").isGreaterThan(100);
            assertThat(Long.parseLong(m.group(2))).as(r.kind() + " failed reads, first: " + m.group(4)).isZero();
        }
        System.out.println(summary);
        return summary.toString();
    }

    @Test
    void gracefulRestartsLoseNoRead() throws Exception {
        DaemonProcess current = daemon(java()).awaitServing("proc/meminfo");
        List<Reader> readers = readers(ROUNDS * 1.6 + 6);
        Thread.sleep(1000);
        for (int i = 0; i < ROUNDS; i++) {
            DaemonProcess next = daemon(java()).awaitLog("took over", Duration.ofSeconds(180));
            assertThat(current.awaitExit(Duration.ofSeconds(90))).as(current.log()).isZero();
            assertThat(current.log()).contains("handed " + mnt + " over");
            current = next;
        }
        verdict(readers, ROUNDS * 1.6 + 6);
        assertThat(current.log()).doesNotContain("asked the kernel to resend");
    }

    @Test
    void sigkillOfTheDaemonLosesNoRead() throws Exception {
        DaemonProcess current = daemon(java()).awaitServing("proc/meminfo");
        List<Reader> readers = readers(ROUNDS * 1.6 + 6);
        Thread.sleep(1000);
        for (int i = 0; i < ROUNDS; i++) {
            current.process.destroyForcibly().waitFor();
            current = daemon(java()).awaitLog("asked the kernel to resend", Duration.ofSeconds(60));
            Thread.sleep(300);
        }
        verdict(readers, ROUNDS * 1.6 + 6);
    }

    @Test
    void anUpgradeToAnotherBuildLosesNoRead() throws Exception {
        // "another build": the packaged jar copied and given another version in its manifest
        Path build2 = tmp.resolve("build2");
        Files.createDirectories(build2.resolve("lib"));
        Path jar = Path.of("target/jlxcfs-daemon.jar").toAbsolutePath();
        Files.copy(jar, build2.resolve("jlxcfs-daemon.jar"));
        try (var libs = Files.list(Path.of("target/lib"))) {
            for (Path l : libs.toList()) Files.copy(l, build2.resolve("lib").resolve(l.getFileName()));
        }
        Files.writeString(tmp.resolve("manifest.txt"), "Implementation-Version: 9.9.9-upgrade-test\n");
        String jarTool = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jar").toString();
        Run.cmd(Duration.ofSeconds(60), jarTool, "ufm", build2.resolve("jlxcfs-daemon.jar").toString(),
                tmp.resolve("manifest.txt").toString()).requireSuccess();
        List<String> packaged = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m", "-cp",
                jar + ":" + jar.resolveSibling("lib") + "/*", Main.class.getName());
        List<String> upgraded = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m", "-cp",
                build2.resolve("jlxcfs-daemon.jar") + ":" + build2.resolve("lib") + "/*", Main.class.getName());
        DaemonProcess current = daemon(packaged).awaitServing("proc/meminfo");
        List<Reader> readers = readers(16);
        Thread.sleep(1000);
        for (int i = 0; i < 4; i++) {
            DaemonProcess next = daemon(i % 2 == 0 ? upgraded : packaged).awaitLog("took over", Duration.ofSeconds(180));
            assertThat(current.awaitExit(Duration.ofSeconds(90))).isZero();
            current = next;
            if (i == 0) assertThat(current.log()).contains("jlxcfs 9.9.9-upgrade-test");
        }
        verdict(readers, 16);
    }

    @Test
    void theRestartCommandHandsOverToTheSameCommandLine() throws Exception {
        DaemonProcess first = daemon(java()).awaitServing("proc/meminfo");
        List<String> cmd = new ArrayList<>(java());
        cmd.addAll(List.of("restart", "--keeper-socket", socket.toString(), mnt.toString()));
        Run.Result r = Run.cmd(Duration.ofSeconds(90), cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("jlxcfs restart: " + mnt + " is served by pid");
        assertThat(first.awaitExit(Duration.ofSeconds(10))).isZero();
        int newPid = Integer.parseInt(r.out().replaceAll("(?s).*served by pid (\\d+).*", "$1"));
        assertThat(Run.cmd(Duration.ofSeconds(10), "cat", mnt + "/proc/uptime").exit()).isZero();
        Run.cmd(Duration.ofSeconds(10), "kill", "-TERM", String.valueOf(newPid));
        for (int i = 0; i < 100 && ProcessHandle.of(newPid).isPresent(); i++) Thread.sleep(100);
        assertThat(MountTable.at(mnt)).as("SIGTERM stops and unmounts").isEmpty();
    }

}
