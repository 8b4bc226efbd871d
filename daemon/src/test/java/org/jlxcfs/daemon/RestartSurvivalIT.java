package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.keeper.ProcessIdentity;
import org.jlxcfs.fuse.Libc;
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
import java.util.Optional;
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
    private static final int ROUNDS = Integer.getInteger("jlxcfs.restart.rounds", 6);
    /** SIGKILLs at random instants of start, takeover and handover (CI may pass fewer). */
    private static final int KILLS = Integer.getInteger("jlxcfs.restart.kills", 100);

    Path tmp, mnt, socket;
    final List<DaemonProcess> daemons = new ArrayList<>();
    final List<LiveContainer> containers = new ArrayList<>();
    final List<Process> hostReaders = new ArrayList<>();
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
        try {
            for (LiveContainer c : containers) c.close();
            for (Process r : hostReaders) Run.kill(r);
        } finally {
            // keepers and daemons of this test only (their command lines name our temp directory),
            // including those a keeper or `jlxcfs restart` started
            DaemonProcess.killKeeper(socket);
            DaemonProcess.killAll(tmp.toString());
            for (DaemonProcess d : daemons) d.close();
            for (int i = 0; i < 10 && MountTable.at(mnt).isPresent(); i++) {
                Run.cmd(Duration.ofSeconds(10), "umount", "-l", mnt.toString());
            }
            Run.deleteTree(tmp);
        }
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
     * container's, and prints "reads=N failed=N longest=SECONDS first_error=..." at the end; it
     * stops early once the optional STOP file exists.
     */
    static final String READER = """
            import sys, time
            import os
            path, kind, seconds, started = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
            stop = sys.argv[5] if len(sys.argv) > 5 else None
            end = time.time() + seconds; n = failed = 0; longest = 0.0; first = ''; begin = time.monotonic()
            while time.time() < end and not (stop and os.path.exists(stop)):
                t = time.monotonic()
                try:
                    data = open(path, 'rb').read().decode()
                    if kind == 'meminfo': ok = data.startswith('MemTotal:         262144 kB\\n')
                    elif kind == 'any': ok = len(data) > 0
                    elif kind == 'stat': ok = sum(1 for l in data.splitlines() if l[:3] == 'cpu' and l[3:4].isdigit()) == 1
                    else: ok = abs(float(data.split()[0]) - (t - started)) < 5 + (time.monotonic() - t)
                    if not ok:
                        failed += 1
                        first = first or 'wrong content at read %d, %.2f s in: %s%s' % (n + 1, t - begin, data[:60].replace('\\n', '|'),
                            ' (expected %.2f)' % (t - started) if kind == 'uptime' else '')
                except OSError as e:
                    failed += 1; first = first or str(e)
                n += 1; longest = max(longest, time.monotonic() - t)
            print('reads=%d failed=%d longest=%.3f first_error=%s' % (n, failed, longest, first))
            """;

    private record Reader(String kind, Process process) {}

    private List<Reader> readers(double seconds) throws Exception {
        return readers(seconds, null);
    }

    private List<Reader> readers(double seconds, Path stop) throws Exception {
        List<Reader> rs = new ArrayList<>();
        String[][] files = {{"meminfo", "/proc/meminfo"}, {"stat", "/proc/stat"}, {"uptime", "/proc/uptime"}};
        for (String[] f : files) {
            LiveContainer c = new LiveContainer(256 * MIB, 0.5, null).start(mnt);
            containers.add(c);
            double started = monotonicNow() - Double.parseDouble(c.exec("cut -d' ' -f1 /proc/uptime").requireSuccess().out().strip());
            Files.writeString(tmp.resolve("reader.py"), READER);
            rs.add(new Reader(f[0], c.spawn("exec python3 " + tmp.resolve("reader.py") + " " + f[1] + " " + f[0] + " "
                    + seconds + " " + started + (stop == null ? "" : " " + stop))));
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
            System.out.println(r.kind() + " reader: " + res.out().strip());
            assertThat(Long.parseLong(m.group(1))).as(r.kind() + " reads").isGreaterThan(100);
            assertThat(Long.parseLong(m.group(2))).as(r.kind() + " failed reads, first: " + m.group(4)).isZero();
        }
        System.out.println(summary);
        return summary.toString();
    }

    @Test
    void gracefulRestartsLoseNoRead() throws Exception {
        DaemonProcess current = daemon(java()).awaitServing("proc/meminfo");
        Path stop = tmp.resolve("stop-readers");
        List<Reader> readers = readers(ROUNDS * 20 + 30, stop);
        Thread.sleep(1000);
        for (int i = 0; i < ROUNDS; i++) {
            DaemonProcess next = daemon(java()).awaitLog("took over", Duration.ofSeconds(180));
            assertThat(current.awaitExit(Duration.ofSeconds(90))).as(current.log()).isZero();
            assertThat(current.log()).contains("handed " + mnt + " over");
            current = next;
        }
        Thread.sleep(500);
        Files.writeString(stop, "");
        verdict(readers, ROUNDS * 20 + 30);
        assertThat(current.log()).doesNotContain("asked the kernel to resend");
    }

    /** The daemon the keeper recorded last, if it still runs. */
    private Optional<ProcessIdentity> served() throws Exception {
        Optional<KeeperClient.Session> h = new KeeperClient(socket).get(mnt);
        h.ifPresent(KeeperClient.Session::closeAll);
        return h.map(KeeperClient.Session::daemon).filter(ProcessIdentity::alive);
    }

    /** Waits until a daemon other than {@code not} serves (the keeper holds its fds); returns it. */
    private ProcessIdentity awaitServedBy(Optional<ProcessIdentity> not, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessIdentity> now = served();
            if (now.isPresent() && !now.equals(not)) return now.get();
            Thread.sleep(20);
        }
        throw new AssertionError("no daemon served " + mnt + " within " + timeout + "; keeper log:\n"
                + Files.readString(socket.resolveSibling("keeper.log")));
    }

    private static String keeperLog(Path socket) throws Exception {
        return Files.readString(socket.resolveSibling("keeper.log"));
    }

    /**
     * Started as bin/jlxcfs starts it (no systemd, no Kubernetes): the keeper the daemon started
     * supervises it. SIGKILL: the keeper resends what it had read and starts it again at once;
     * readers stall for about one daemon start and no read fails.
     */
    @Test
    void aDaemonKilledWithoutASupervisorIsStartedAgainByTheKeeperAndNoReadFails() throws Exception {
        daemon(java()).awaitServing("proc/meminfo");
        Path stop = tmp.resolve("stop-readers");
        List<Reader> readers = readers(120, stop);
        Thread.sleep(1000);
        List<Long> restarts = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ProcessIdentity victim = served().orElseThrow();
            long t = System.nanoTime();
            assertThat(victim.signal(Libc.SIGKILL)).isZero();
            awaitServedBy(Optional.of(victim), Duration.ofSeconds(120));
            restarts.add((System.nanoTime() - t) / 1_000_000);
            Thread.sleep(1000); // the second death may be a "quick" one: restarted after a 1 s backoff
        }
        Files.writeString(stop, "");
        String summary = verdict(readers, 120);
        System.out.println("keeper restarts after SIGKILL took " + restarts + " ms; " + summary);
        String log = keeperLog(socket);
        assertThat(log).contains("asked the kernel to resend what the daemon", "starting it again now",
                "started the daemon of " + mnt + " again");
        assertThat(log).doesNotContain("giving the connection up");
        Path restartedLog = socket.resolveSibling("daemon-" + mnt.toString().replaceAll("[^A-Za-z0-9._-]+", "-")
                .replaceAll("^-|-$", "") + ".log");
        assertThat(Files.readString(restartedLog)).contains("took over " + mnt, "asked the kernel to resend");
    }

    /**
     * The daemon dies holding requests it read (its workers stall on purpose, test-only) and no
     * daemon can start (its jar was removed): readers wait, and SIGKILL still ends them at once
     * (the keeper had the kernel resend what the dead daemon had read, so nothing waits where a
     * signal cannot reach it). After --give-up-after the keeper lets the connection go: the
     * remaining reader gets an error instead of hanging forever.
     */
    @Test
    void whenNoDaemonCanStartKilledReadersEndAndTheKeeperGivesTheConnectionUp() throws Exception {
        Path build = tmp.resolve("build");
        Files.createDirectories(build.resolve("lib"));
        Path jar = Path.of("target/jlxcfs-daemon.jar").toAbsolutePath();
        Files.copy(jar, build.resolve("jlxcfs-daemon.jar"));
        try (var libs = Files.list(Path.of("target/lib"))) {
            for (Path l : libs.toList()) Files.copy(l, build.resolve("lib").resolve(l.getFileName()));
        }
        Process keeper = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"), "--give-up-after", "10");
        DaemonProcess d = daemon(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m", "-Djlxcfs.debug.stallWorkerAfter=100",
                "-cp", build.resolve("jlxcfs-daemon.jar") + ":" + build.resolve("lib") + "/*", Main.class.getName(),
                "--threads", "2"))
                .awaitServing("proc/meminfo");
        // readers that log every error at once, so even a reader killed later has told what it saw
        Path script = Files.writeString(tmp.resolve("blocked-reader.py"), """
                import sys
                with open(sys.argv[2], 'a', buffering=1) as out:
                    while True:
                        try: open(sys.argv[1], 'rb').read()
                        except OSError as e: out.write(str(e) + '\\n')
                """);
        List<Process> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            readers.add(Run.start(java.util.Map.of(), "python3", script.toString(), mnt.resolve("proc/meminfo").toString(),
                    tmp.resolve("errors-" + i).toString()));
            hostReaders.add(readers.getLast());
        }
        // both workers now hold a READ they never answer (stallWorkerAfter), and every reader waits in FUSE
        for (int i = 0; i < 600 && !readers.stream().allMatch(RestartSurvivalIT::waitsInFuse); i++) Thread.sleep(50);
        assertThat(readers).as("readers waiting in FUSE").allMatch(RestartSurvivalIT::waitsInFuse);
        Run.deleteTree(build);
        d.process.destroyForcibly().waitFor();
        Thread.sleep(1500); // readers are waiting now: no daemon can start
        for (Process r : readers.subList(0, 2)) {
            assertThat(r.isAlive()).as("a reader waits while no daemon serves").isTrue();
            long t = System.nanoTime();
            r.destroyForcibly();
            assertThat(r.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)).as("SIGKILL ends a waiting reader").isTrue();
            System.out.println("a reader waiting on a dead daemon ended " + (System.nanoTime() - t) / 1_000_000
                    + " ms after SIGKILL");
        }
        for (int i = 0; i < 3; i++) {
            assertThat(Files.readString(tmp.resolve("errors-" + i))).as("errors of reader " + i
                    + " (a request the dead daemon held must be resent, not aborted)").isEmpty();
        }
        for (int i = 0; i < 600 && !keeperLog(socket).contains("giving the connection up"); i++) Thread.sleep(100);
        Thread.sleep(500);
        Run.kill(readers.get(2));
        assertThat(Files.readString(tmp.resolve("errors-2"))).as("the reader left waiting fails once the keeper gives up")
                .contains("Transport endpoint is not connected");
        String log = keeperLog(socket);
        assertThat(log).contains("exited with code 1", "died 2 times within", "no daemon has served " + mnt
                + " for 10 s", "giving the connection up");
        assertThat(Run.cmd(Duration.ofSeconds(10), "cat", mnt + "/proc/meminfo").err()).contains("not connected");
        Run.kill(keeper);
    }

    private static boolean waitsInFuse(Process p) {
        try {
            return Files.readString(Path.of("/proc/" + p.pid() + "/stack")).contains("fuse");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * A worker thread dies (forced through the test-only jlxcfs.debug.failWorkerAfter, given to the
     * first daemon only): the daemon exits with code 70 without unmounting, the keeper starts a
     * fresh one, and no reader sees a failed read.
     */
    @Test
    void aDyingWorkerMakesTheDaemonExitWithoutUnmountingAndTheKeeperStartsItAgain() throws Exception {
        Process keeper = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"));
        List<String> cmd = new ArrayList<>(java());
        cmd.addAll(List.of("--keeper-socket", socket.toString(), mnt.toString()));
        DaemonProcess first = DaemonProcess.launch(cmd, java.util.Map.of("JAVA_TOOL_OPTIONS", "-Djlxcfs.debug.failWorkerAfter=3000"),
                mnt, tmp.resolve("daemon-first.log"));
        daemons.add(first);
        first.awaitServing("proc/meminfo");
        int mountId = MountTable.at(mnt).orElseThrow().id();
        Path stop = tmp.resolve("stop-readers");
        List<Reader> readers = readers(120, stop);
        assertThat(first.awaitExit(Duration.ofSeconds(60))).as(first.log()).isEqualTo(Main.EXIT_WORKER_FAILED);
        assertThat(first.log()).contains("died: java.lang.Error: jlxcfs.debug.failWorkerAfter=3000",
                "a FUSE worker died; exiting with code 70 without unmounting");
        assertThat(first.log()).doesNotContain("unmounted " + mnt);
        ProcessIdentity next = awaitServedBy(Optional.empty(), Duration.ofSeconds(120));
        assertThat(next.pid()).isNotEqualTo((int) first.process.pid());
        Thread.sleep(5000);
        Files.writeString(stop, "");
        verdict(readers, 120);
        assertThat(MountTable.at(mnt).orElseThrow().id()).as("the same mount, never remounted").isEqualTo(mountId);
        assertThat(keeperLog(socket)).contains("exited after", "started the daemon of " + mnt + " again");
        Run.kill(keeper);
    }

    /**
     * SIGKILL at random instants 0-4 s after a daemon starts, under full-speed readers in three
     * containers: the new daemon (in its start, its takeover, its handing of fds to the keeper) or
     * the one it takes over from (while it hands over), and every fifth round while `jlxcfs
     * restart` runs. The test plays the kubelet (keeper --no-restart): a new daemon every round.
     */
    @Test
    void sigkillsAtRandomInstantsOfStartTakeoverAndHandoverLoseNoRead() throws Exception {
        Process keeper = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"), "--no-restart");
        daemon(java()).awaitServing("proc/meminfo");
        Path stop = tmp.resolve("stop-readers");
        double seconds = KILLS * 5.0 + 120;
        List<Reader> readers = readers(seconds, stop);
        Thread.sleep(1000);
        long seed = Long.getLong("jlxcfs.restart.seed", System.nanoTime());
        java.util.Random random = new java.util.Random(seed);
        System.out.println("random kills: seed " + seed + " (-Djlxcfs.restart.seed to repeat)");
        long t0 = System.nanoTime();
        int[] victims = new int[3]; // new daemon, recorded daemon, during `restart`
        for (int i = 0; i < KILLS; i++) {
            boolean viaRestart = i % 5 == 4;
            DaemonProcess next = null;
            Process restart = null;
            if (viaRestart) {
                List<String> cmd = new ArrayList<>(java());
                cmd.addAll(List.of("restart", "--keeper-socket", socket.toString(), "--timeout", "10", mnt.toString()));
                restart = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("restart.log").toFile())).start();
                hostReaders.add(restart); // not waited for (it may wait out its timeout): killed at the end
            } else {
                next = daemon(java());
            }
            Thread.sleep(random.nextInt(4001));
            if (next != null && random.nextBoolean()) {
                next.process.destroyForcibly();
                victims[0]++;
            } else {
                Optional<ProcessIdentity> recorded = served();
                if (recorded.isPresent()) recorded.get().signal(Libc.SIGKILL);
                victims[viaRestart ? 2 : 1]++;
            }
        }
        // someone serves at the end, as the kubelet would make sure
        daemon(java());
        awaitServedBy(Optional.empty(), Duration.ofSeconds(120));
        Thread.sleep(1000);
        Files.writeString(stop, "");
        String summary = verdict(readers, seconds);
        System.out.println(KILLS + " SIGKILLs (" + victims[0] + " of a starting daemon, " + victims[1]
                + " of the serving one, " + victims[2] + " during jlxcfs restart) in "
                + (System.nanoTime() - t0) / 1_000_000_000 + " s: " + summary);
        Run.kill(keeper);
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
