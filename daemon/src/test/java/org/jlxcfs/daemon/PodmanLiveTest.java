package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The files in real podman containers (runc, --memory, --cpus, --cpuset-cpus, files mounted with
 * -v, as the usual LXCFS recipes do). The image is made offline: a root with the host's /usr
 * mounted read-only, so procps' free and top and python3 are the host's.
 */
@RequiresRootAndFuse
class PodmanLiveTest {
    private static final Duration T = Duration.ofSeconds(120);
    private static final String IMAGE = "localhost/jlxcfs-test-usr:1";
    static Path tmp;
    static DaemonProcess daemon;
    static Map<String, String> env;
    static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        if (Run.cmd(T, "sh", "-c", "command -v podman").exit() != 0) {
            String why = "podman is not installed (apt-get install podman runc)";
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(why);
            Assumptions.abort(why);
        }
        tmp = Run.sharedTempDir("jlxcfs-podman");
        env = PodmanHarness.create(tmp).env;
        Path root = tmp.resolve("rootfs");
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "usr", "run")) Files.createDirectories(root.resolve(d));
        for (String l : List.of("bin", "sbin", "lib", "lib64")) Files.createSymbolicLink(root.resolve(l), Path.of("usr/" + l));
        Run.cmd(T, "tar", "-C", root.toString(), "-cf", tmp.resolve("root.tar").toString(), ".").requireSuccess();
        Run.cmd(T, env, "podman", "import", "-q", tmp.resolve("root.tar").toString(), IMAGE).requireSuccess();
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (String c : containers) Run.cmd(T, env, "podman", "rm", "-f", "-t", "0", c);
        if (env != null) Run.cmd(T, env, "podman", "rmi", "-f", IMAGE);
        if (daemon != null) {
            daemon.signal("TERM");
            daemon.awaitExit(Duration.ofSeconds(20));
            daemon.close();
        }
        Run.deleteTree(tmp);
    }

    private static List<String> run(String... limits) {
        String name = "jlxcfs-test-" + UUID.randomUUID().toString().substring(0, 8);
        containers.add(name);
        List<String> cmd = new ArrayList<>(List.of("podman", "run", "--runtime", "runc", "--name", name, "-v", "/usr:/usr:ro"));
        for (String f : LiveContainer.BOUND) cmd.addAll(List.of("-v", daemon.mountPoint.resolve(f) + ":/" + f + ":ro"));
        cmd.addAll(List.of(limits));
        cmd.add(IMAGE);
        return cmd;
    }

    private static String inContainer(String script, String... limits) {
        List<String> cmd = new ArrayList<>(List.of(run(limits).toArray(String[]::new)));
        cmd.add(cmd.size() - 1, "--rm");
        cmd.addAll(List.of("sh", "-c", script));
        return Run.cmd(T, env, cmd.toArray(String[]::new)).requireSuccess().out();
    }

    @Test
    void memoryCpusAndUptimeAreTheContainers() {
        String out = inContainer("free -b | grep Mem:; python3 -c 'import os; print(os.cpu_count())'; "
                + "grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online; cut -d' ' -f1 /proc/uptime; "
                + "grep ^SwapTotal /proc/meminfo",
                "--memory", "256m", "--memory-swap", "256m", "--cpus", "0.5", "--cpuset-cpus", "0");
        String[] lines = out.split("\n");
        assertThat(lines[0].split("\\s+")[1]).as(out).isEqualTo(String.valueOf(256L * 1024 * 1024));
        assertThat(lines[1]).isEqualTo("1");
        assertThat(lines[2]).isEqualTo("1");
        assertThat(lines[3]).isEqualTo("0");
        assertThat(Double.parseDouble(lines[4])).isLessThan(60);
        assertThat(lines[5]).matches("SwapTotal:\\s+0 kB");
    }

    /**
     * runc writes the limits after the container's mounts, whose lookups already render our files:
     * the very first read in the container (a JVM sizing itself at start) must see the quota.
     */
    @Test
    void aQuotaIsShownFromTheContainersFirstRead() {
        int host = Runtime.getRuntime().availableProcessors();
        Assumptions.assumeTrue(host >= 2, "needs 2 CPUs to tell a 1-CPU quota from the host");
        for (int i = 0; i < 3; i++) {
            String out = inContainer("cat /sys/devices/system/cpu/online; grep -c ^processor /proc/cpuinfo", "--cpus", "1");
            assertThat(out).as("run " + i).isEqualTo("0\n1\n");
        }
    }

    @Test
    void cpusetAndQuotaAboveTheHostAreShownAsTheyBind() {
        int host = Runtime.getRuntime().availableProcessors();
        String out = inContainer("python3 -c 'import os; print(os.cpu_count())'; cat /sys/devices/system/cpu/online",
                "--cpus", String.valueOf(host));
        assertThat(out).isEqualTo(host + "\n0-" + (host - 1) + "\n");
    }

    @Test
    void topShowsABusyContainerAtItsQuotaAsBusy() throws Exception {
        // 0.2 CPU: the loop gets its whole quota even on a busy two-core machine
        List<String> cmd = new ArrayList<>(run("--cpus", "0.2", "-d"));
        cmd.addAll(List.of("sh", "-c", "while :; do :; done"));
        Run.cmd(T, env, cmd.toArray(String[]::new)).requireSuccess();
        Thread.sleep(2000);
        String top = Run.cmd(T, env, "podman", "exec", containers.getLast(), "top", "-bn2", "-d2").requireSuccess().out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9.]+) id,").matcher(top);
        double idle = -1;
        while (m.find()) idle = Double.parseDouble(m.group(1));
        assertThat(idle).as(top).isBetween(0.0, 25.0);
    }
}
