package org.jlxcfs.daemon;

import org.jlxcfs.daemon.node.FakeKubernetesApi;
import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.ReadUntilError;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The daemon as a DaemonSet pod runs it: a keeper of its own elsewhere, SIGTERM as hand-over, probes, the node label. */
@RequiresRootAndFuse
class KubernetesModeLiveTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final Pattern HEALTH = Pattern.compile("health endpoint on http://127\\.0\\.0\\.1:(\\d+) ");

    @TempDir
    Path tmp;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private List<String> daemon(Path serviceAccountDir, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m",
                "-Djlxcfs.serviceAccountDir=" + serviceAccountDir, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The status of GET /readyz (or -1: nothing listens). */
    private int readyz(int port) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private String get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * Like {@link DaemonProcess#awaitServing}, without marking the daemon as the mount's owner: its
     * close() would otherwise stat the mount the keeper holds for the next daemon, and wait there.
     */
    private static void awaitServing(DaemonProcess d, Path mnt) throws Exception {
        for (int i = 0; i < 2400; i++) {
            if (!d.process.isAlive()) throw new AssertionError("daemon exited " + d.process.exitValue() + ":\n" + d.log());
            if (d.log().contains("mounted jlxcfs at") || d.log().contains("took over " + mnt)) {
                if (Run.cmd(Duration.ofSeconds(10), "cat", mnt + "/proc/uptime").exit() == 0) return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("daemon did not serve " + mnt + " within 120 s:\n" + d.log());
    }

    private static int healthPort(DaemonProcess d) throws Exception {
        d.awaitLog("health endpoint on", T);
        Matcher m = HEALTH.matcher(d.log());
        assertThat(m.find()).as(d.log()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void sigtermHandsOverToAKeeperRunElsewhereAndTheNextDaemonServesWithoutAFailedRead() throws Exception {
        Path mnt = tmp.resolve("mnt");
        Path socket = tmp.resolve("state/keeper.sock");
        Process keeper = null;
        List<Process> readers = new ArrayList<>();
        try (FakeKubernetesApi api = new FakeKubernetesApi(tmp.resolve("api"))) {
            String[] args = {"--keeper-socket", socket.toString(), "--keeper-wait", "120", "--on-term=handover", "--no-remount",
                    "--health-port", "0", "--health-address", "127.0.0.1",
                    "--node-label", "--node-name", "node-a", "--api-server", api.uri().toString(), mnt.toString()};
            try (DaemonProcess first = DaemonProcess.launch(daemon(api.serviceAccountDir, args), mnt, tmp.resolve("first.log"))) {
                // no keeper yet: alive, not ready, nothing mounted, no keeper started by the daemon
                int port = healthPort(first);
                first.awaitLog("waiting up to 120 s for a keeper on " + socket, T);
                assertThat(readyz(port)).isEqualTo(503);
                assertThat(get(port, "/healthz")).isEqualTo("ok\n");
                assertThat(MountTable.at(mnt)).isEmpty();
                assertThat(socket).doesNotExist();

                keeper = DaemonProcess.keeper(socket, tmp.resolve("state/keeper.log"), "--no-restart");
                awaitServing(first, mnt);
                assertThat(readyz(port)).isEqualTo(200);
                assertThat(get(port, "/metrics")).contains("jlxcfs_serving 1\n");
                api.awaitRequests(1, T);

                List<Path> flags = new ArrayList<>();
                for (String f : List.of("meminfo", "stat", "uptime", "loadavg")) {
                    flags.add(tmp.resolve(f + ".reading"));
                    readers.add(ReadUntilError.start(mnt.resolve("proc/" + f), flags.getLast()));
                }
                ReadUntilError.awaitReading(flags);
                // what a kubelet's readiness probe sees from the signal on: never "ready" again
                List<Integer> seen = new CopyOnWriteArrayList<>();
                Thread probe = Thread.ofPlatform().start(() -> {
                    try {
                        for (int s = 0; s != -1; ) {
                            seen.add(s = readyz(port));
                        }
                    } catch (InterruptedException ignored) {
                        // done
                    }
                });
                while (seen.isEmpty()) Thread.sleep(5);
                first.signal("TERM");
                assertThat(first.awaitExit(T)).as(first.log()).isZero();
                probe.join(10_000);
                assertThat(seen.subList(seen.indexOf(seen.stream().filter(s -> s != 200).findFirst().orElseThrow()), seen.size()))
                        .as("after SIGTERM: %s", seen).doesNotContain(200);
                assertThat(first.log()).contains("SIGTERM: leaving " + mnt + " to the keeper for the next daemon (--on-term=handover)")
                        .doesNotContain("unmounted");
                assertThat(MountTable.at(mnt).orElseThrow().fsType()).isEqualTo("fuse.jlxcfs");
            }
            assertThat(readers).as("readers wait for the next daemon, none failed").allMatch(Process::isAlive);

            try (DaemonProcess second = DaemonProcess.launch(daemon(api.serviceAccountDir, args), mnt, tmp.resolve("second.log"))) {
                int port = healthPort(second);
                awaitServing(second, mnt);
                assertThat(readyz(port)).isEqualTo(200);
                assertThat(get(port, "/metrics")).contains("jlxcfs_takeovers_total{kind=\"recovery\"} 1\n");
                Thread.sleep(1000); // readers read through the new daemon
                assertThat(readers).as("no failed read across the hand-over").allMatch(Process::isAlive);
                api.awaitRequests(2, T);
                assertThat(api.requests).as("a hand-over leaves the label").noneMatch(r -> r.body().contains("null"));

                second.signal("INT");
                assertThat(second.awaitExit(T)).as(second.log()).isZero();
                assertThat(MountTable.at(mnt)).isEmpty();
                assertThat(api.requests.getLast().body()).isEqualTo("{\"metadata\":{\"labels\":{\"jlxcfs.io/serving\":null}}}");
                assertThat(second.log()).contains("removed the label jlxcfs.io/serving from node node-a");
            }
            for (Process r : readers) {
                String out = Run.await(r, Duration.ofSeconds(10), "reader").requireSuccess().out().trim();
                assertThat(Long.parseLong(out.split(" ")[0])).as(out).isPositive();
            }
        } finally {
            readers.forEach(Run::kill);
            if (keeper != null) keeper.destroyForcibly().waitFor();
            DaemonProcess.killAll(tmp.toString());
            if (MountTable.at(mnt).isPresent()) Run.cmd(T, "umount", "-l", mnt.toString());
        }
    }

    /**
     * The keeper's pod replaced while a daemon serves (its DaemonSet is OnDelete, so an upgrade
     * deletes it): the daemon gives the new keeper the connection, so the daemon's next hand-over
     * still loses no read.
     */
    @Test
    void aReplacedKeeperIsGivenTheConnectionAgainSoTheNextHandOverLosesNoRead() throws Exception {
        Path mnt = tmp.resolve("mnt");
        Path socket = tmp.resolve("state/keeper.sock");
        Process keeper = null;
        List<Process> readers = new ArrayList<>();
        String[] args = {"--keeper-socket", socket.toString(), "--keeper-wait", "120", "--on-term=handover", "--no-remount",
                mnt.toString()};
        try {
            keeper = DaemonProcess.keeper(socket, tmp.resolve("state/keeper.log"), "--no-restart");
            try (DaemonProcess first = DaemonProcess.launch(daemon(tmp, args), mnt, tmp.resolve("first.log"))) {
                awaitServing(first, mnt);
                List<Path> flags = new ArrayList<>();
                for (String f : List.of("meminfo", "uptime")) {
                    flags.add(tmp.resolve(f + ".reading"));
                    readers.add(ReadUntilError.start(mnt.resolve("proc/" + f), flags.getLast()));
                }
                ReadUntilError.awaitReading(flags);

                keeper.destroyForcibly().waitFor();
                Files.deleteIfExists(socket);
                keeper = DaemonProcess.keeper(socket, tmp.resolve("state/keeper2.log"), "--no-restart");
                var client = new org.jlxcfs.daemon.keeper.KeeperClient(socket);
                for (int i = 0; i < 200 && !client.holds(mnt); i++) Thread.sleep(50);
                assertThat(client.holds(mnt)).as("the new keeper holds %s:%n%s", mnt, first.log()).isTrue();
                assertThat(first.log()).contains("handed it the connection again");

                first.signal("TERM");
                assertThat(first.awaitExit(T)).as(first.log()).isZero();
            }
            try (DaemonProcess second = DaemonProcess.launch(daemon(tmp, args), mnt, tmp.resolve("second.log"))) {
                awaitServing(second, mnt);
                assertThat(second.log()).contains("took over " + mnt);
                Thread.sleep(1000);
                assertThat(readers).as("no failed read across the keeper's replacement and the hand-over")
                        .allMatch(Process::isAlive);
                second.signal("INT");
                assertThat(second.awaitExit(T)).as(second.log()).isZero();
            }
        } finally {
            readers.forEach(Run::kill);
            if (keeper != null) keeper.destroyForcibly().waitFor();
            DaemonProcess.killAll(tmp.toString());
            if (MountTable.at(mnt).isPresent()) Run.cmd(T, "umount", "-l", mnt.toString());
        }
    }

    @Test
    void keeperWaitWithoutAKeeperExitsOneNamingTheSocket() throws Exception {
        Path socket = tmp.resolve("state/keeper.sock");
        Path mnt = tmp.resolve("mnt");
        try (DaemonProcess d = DaemonProcess.launch(daemon(tmp, "--keeper-socket", socket.toString(), "--keeper-wait", "1",
                "--no-remount", mnt.toString()), mnt, tmp.resolve("d.log"))) {
            assertThat(d.awaitExit(T)).isEqualTo(1);
            assertThat(d.log()).contains("jlxcfs: no keeper answered on " + socket + " within 1 s (--keeper-wait); "
                    + "start one there (jlxcfs keeper --socket " + socket + ")");
            assertThat(socket).doesNotExist();
            assertThat(MountTable.at(mnt)).isEmpty();
        } finally {
            DaemonProcess.killAll(tmp.toString());
        }
    }

    @Test
    void replaceDetachesADeadLxcfsMountButNeverALiveOne() throws Exception {
        Path lxcfs = Path.of("/usr/bin/lxcfs");
        Assumptions.assumeTrue(Files.isExecutable(lxcfs), "no lxcfs installed (/usr/bin/lxcfs)");
        Path mnt = Files.createDirectories(tmp.resolve("lxcfs"));
        Process ours = new ProcessBuilder(lxcfs.toString(), "-f", "--pidfile=" + tmp.resolve("lxcfs.pid"), mnt.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("lxcfs.log").toFile()).start();
        try {
            for (int i = 0; i < 200 && Run.cmd(T, "cat", mnt + "/proc/meminfo").exit() != 0; i++) Thread.sleep(50);
            assertThat(MountTable.at(mnt).orElseThrow().fsType()).isEqualTo("fuse.lxcfs");
            String[] args = {"--replace", "--no-keeper", "--no-remount", "--keeper-socket", tmp.resolve("state/k.sock").toString(),
                    mnt.toString()};
            try (DaemonProcess refused = DaemonProcess.launch(daemon(tmp, args), mnt, tmp.resolve("refused.log"))) {
                assertThat(refused.awaitExit(T)).isEqualTo(1);
                assertThat(refused.log()).contains("already has a fuse.lxcfs mount", "left alone");
            }
            assertThat(Run.cmd(T, "cat", mnt + "/proc/uptime").exit()).as("the live LXCFS still serves").isZero();

            ours.destroyForcibly().waitFor();
            assertThat(Run.cmd(T, "stat", "-f", mnt.toString()).err()).contains("not connected");
            try (DaemonProcess replacing = DaemonProcess.launch(daemon(tmp, args), mnt, tmp.resolve("replacing.log"))) {
                replacing.awaitServing("proc/uptime");
                assertThat(replacing.log()).contains("detached a dead fuse.lxcfs mount", "at " + mnt + " (--replace)");
                assertThat(MountTable.at(mnt).orElseThrow().fsType()).isEqualTo("fuse.jlxcfs");
                replacing.signal("INT");
                assertThat(replacing.awaitExit(T)).isZero();
            }
            assertThat(MountTable.at(mnt)).isEmpty();
        } finally {
            ours.destroyForcibly().waitFor();
            for (int i = 0; i < 3 && MountTable.at(mnt).isPresent(); i++) Run.cmd(T, "umount", "-l", mnt.toString());
        }
    }

    /**
     * The lxcfs-compat layout: jlxcfs mounts at LXCFS's own path. LXCFS dies (a container bound to
     * it reads ENOTCONN); the daemon with --replace and --remount-lxcfs detaches the dead LXCFS
     * mount, mounts there, and moves the container's binds over without restarting it.
     */
    @Test
    void remountLxcfsMovesAContainerOffADeadLxcfsAtTheSamePath() throws Exception {
        Path lxcfs = Path.of("/usr/bin/lxcfs");
        Assumptions.assumeTrue(Files.isExecutable(lxcfs), "no lxcfs installed (/usr/bin/lxcfs)");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path mnt = Files.createDirectories(tmp.resolve("lxcfs"));
        Process ours = new ProcessBuilder(lxcfs.toString(), "-f", "--pidfile=" + tmp.resolve("lxcfs.pid"), mnt.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("lxcfs.log").toFile()).start();
        LiveContainer container = null;
        try {
            for (int i = 0; i < 200 && Run.cmd(T, "cat", mnt + "/proc/meminfo").exit() != 0; i++) Thread.sleep(50);
            container = new LiveContainer(256L * 1024 * 1024, 0, null).start(mnt);
            int init = container.initPid();
            LiveContainer c = container;
            java.util.function.Supplier<String> memTotal = () -> {
                Run.Result r = c.exec("head -1 /proc/meminfo");
                return r.out() + r.err();
            };
            assertThat(memTotal.get()).isEqualTo("MemTotal:         262144 kB\n");
            ours.destroyForcibly().waitFor();
            Thread.sleep(300);
            assertThat(memTotal.get()).contains("Transport endpoint is not connected");

            try (DaemonProcess d = DaemonProcess.launch(daemon(tmp, "--replace", "--no-keeper", "--remount-lxcfs", mnt.toString(),
                    "--keeper-socket", tmp.resolve("state/k.sock").toString(), mnt.toString()), mnt, tmp.resolve("compat.log"))) {
                d.awaitLog("FIXED /proc/meminfo", T);
                assertThat(d.log()).contains("detached a dead fuse.lxcfs mount");
                assertThat(MountTable.at(mnt).orElseThrow().fsType()).isEqualTo("fuse.jlxcfs");
                assertThat(memTotal.get()).isEqualTo("MemTotal:         262144 kB\n");
                assertThat(container.exec("cat /proc/uptime /proc/stat /sys/devices/system/cpu/online").exit()).isZero();
                assertThat(container.initPid()).as("the same container, not restarted").isEqualTo(init);
                d.signal("INT");
                assertThat(d.awaitExit(T)).isZero();
            }
        } finally {
            if (container != null) container.close();
            ours.destroyForcibly().waitFor();
            for (int i = 0; i < 3 && MountTable.at(mnt).isPresent(); i++) Run.cmd(T, "umount", "-l", mnt.toString());
        }
    }

    @Test
    void aPrivateCgroupNamespaceIsWarnedAbout() throws Exception {
        try {
            Files.readSymbolicLink(Path.of("/proc/1/ns/cgroup"));
        } catch (IOException e) {
            Assumptions.abort("pid 1's cgroup namespace cannot be read here (" + e + "): the daemon has nothing to compare");
        }
        Path mnt = tmp.resolve("mnt");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--cgroup"));
        cmd.addAll(daemon(tmp, "--no-keeper", "--no-remount", "--keeper-socket", tmp.resolve("state/k.sock").toString(), mnt.toString()));
        try (DaemonProcess d = DaemonProcess.launch(cmd, mnt, tmp.resolve("ns.log"))) {
            d.awaitServing("proc/uptime");
            assertThat(d.log()).contains("is not that of pid 1", "nsenter --cgroup=/proc/1/ns/cgroup -- jlxcfs");
            d.signal("INT");
            assertThat(d.awaitExit(T)).isZero();
        }
        try (DaemonProcess d = DaemonProcess.launch(daemon(tmp, "--no-keeper", "--no-remount", "--keeper-socket",
                tmp.resolve("state/k.sock").toString(), mnt.toString()), mnt, tmp.resolve("host.log"))) {
            d.awaitServing("proc/uptime");
            assertThat(d.log()).doesNotContain("is not that of pid 1");
            d.signal("INT");
            assertThat(d.awaitExit(T)).isZero();
        }
    }
}
