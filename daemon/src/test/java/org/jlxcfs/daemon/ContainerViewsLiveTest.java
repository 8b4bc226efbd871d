package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The views as a user sees them: a real daemon, real cgroups with limits, real pid and mount
 * namespaces with the files bind-mounted over /proc, and the usual programs run inside.
 */
@RequiresRootAndFuse
class ContainerViewsLiveTest {
    private static final long MIB = 1024 * 1024;
    static Path tmp;
    static DaemonProcess daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        System.out.println("cgroup layout: " + org.jlxcfs.view.cgroup.CgroupLayout.discover(Path.of("/proc"),
                Path.of("/sys/fs/cgroup")).mode());
        tmp = Files.createTempDirectory("jlxcfs-live");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.signal("TERM");
            daemon.awaitExit(java.time.Duration.ofSeconds(20));
            daemon.close();
        }
        Run.deleteTree(tmp);
    }

    private static String inside(LiveContainer c, String script) {
        return c.exec(script).requireSuccess().out();
    }

    @Test
    void freeShowsTheMemoryLimitAndMemoryAllocatedInside() throws Exception {
        try (LiveContainer c = new LiveContainer(256 * MIB, 0, null).start(daemon.mountPoint)) {
            String free = inside(c, "free -b");
            long total = Long.parseLong(field(free, "Mem:\\s+(\\d+)"));
            long usedBefore = Long.parseLong(field(free, "Mem:\\s+\\d+\\s+(\\d+)"));
            assertThat(total).as(free).isEqualTo(256 * MIB);
            Process hog = c.spawn("exec python3 -c \"import time; b = bytearray(b\\\"x\\\" * (120 * 1024 * 1024)); time.sleep(600)\"");
            long usedAfter = 0;
            for (int i = 0; i < 100 && usedAfter - usedBefore < 100 * MIB; i++) {
                Thread.sleep(100);
                usedAfter = Long.parseLong(field(inside(c, "free -b"), "Mem:\\s+\\d+\\s+(\\d+)"));
            }
            assertThat(usedAfter - usedBefore).as("memory allocated inside shows as used").isGreaterThan(100 * MIB);
            assertThat(inside(c, "head -1 /proc/meminfo")).matches("MemTotal:\\s+262144 kB\n");
            Run.kill(hog);
        }
    }

    @Test
    void cpuCountFollowsQuotaAndCpusetInEveryProgram() throws Exception {
        try (LiveContainer c = new LiveContainer(0, 0.5, null).start(daemon.mountPoint)) {
            assertThat(inside(c, "python3 -c 'import os; print(os.cpu_count())'").strip()).isEqualTo("1");
            assertThat(inside(c, "grep -c ^processor /proc/cpuinfo").strip()).isEqualTo("1");
            assertThat(inside(c, "cat /sys/devices/system/cpu/online").strip()).isEqualTo("0");
            assertThat(inside(c, "grep -c '^cpu[0-9]' /proc/stat").strip()).isEqualTo("1");
            assertThat(inside(c, "getconf _NPROCESSORS_ONLN").strip()).isEqualTo("1");
            // the mirrored sys/devices/system/cpu shows this container cpu0 only; the host sees all
            String cpuDir = daemon.mountPoint + "/sys/devices/system/cpu";
            assertThat(inside(c, "ls " + cpuDir + " | grep -E '^cpu[0-9]+$'")).isEqualTo("cpu0\n");
            assertThat(inside(c, "cat " + cpuDir + "/cpu0/topology/core_id").strip()).matches("\\d+");
            assertThat(Run.cmd(java.time.Duration.ofSeconds(30), "sh", "-c", "ls " + cpuDir + " | grep -cE '^cpu[0-9]+$'")
                    .requireSuccess().out().strip()).isEqualTo(String.valueOf(Runtime.getRuntime().availableProcessors()));
            assertThat(inside(c, "ls " + cpuDir)).contains("online", "possible", "present", "vulnerabilities");
        }
        int hostCpus = Runtime.getRuntime().availableProcessors();
        if (hostCpus >= 2) {
            try (LiveContainer c = new LiveContainer(0, 0, "1").start(daemon.mountPoint)) {
                assertThat(inside(c, "python3 -c 'import os; print(os.cpu_count())'").strip()).isEqualTo("1");
                assertThat(inside(c, "grep ^processor /proc/cpuinfo")).isEqualTo("processor\t: 0\n");
                // its cpu0 is the host's cpu1: topology and links come from there
                String cpuDir = daemon.mountPoint + "/sys/devices/system/cpu";
                assertThat(inside(c, "ls " + cpuDir + " | grep -E '^cpu[0-9]+$'")).isEqualTo("cpu0\n");
                Path hostCpu1 = Path.of("/sys/devices/system/cpu/cpu1");
                assertThat(inside(c, "cat " + cpuDir + "/cpu0/topology/thread_siblings_list " + cpuDir + "/cpu0/topology/core_id"))
                        .isEqualTo(Files.readString(hostCpu1.resolve("topology/thread_siblings_list"))
                                + Files.readString(hostCpu1.resolve("topology/core_id")));
                assertThat(inside(c, "readlink " + cpuDir + "/cpu0/subsystem").strip())
                        .isEqualTo(Files.readSymbolicLink(hostCpu1.resolve("subsystem")).toString());
            }
            try (LiveContainer c = new LiveContainer(0, 1.5, null).start(daemon.mountPoint)) {
                assertThat(inside(c, "python3 -c 'import os; print(os.cpu_count())'").strip()).isEqualTo("2");
            }
        }
    }

    @Test
    void topInsideShowsAContainerAtItsQuotaBusyAndAnIdleOneIdle() throws Exception {
        try (LiveContainer c = new LiveContainer(0, 0.5, null).start(daemon.mountPoint)) {
            double idleBefore = idle(inside(c, "top -bn2 -d1"));
            assertThat(idleBefore).as("an idle container").isGreaterThan(80);
            c.spawn("while :; do :; done");
            Thread.sleep(2000);
            long used0 = c.cpuUsageNanos(), t0 = System.nanoTime();
            String top = inside(c, "top -bn2 -d2");
            double share = (c.cpuUsageNanos() - used0) / (0.5 * (System.nanoTime() - t0));
            // On an idle machine the loop gets its whole quota and top shows ~100% busy. On a busy
            // one it may get less, and top must then show that share of the quota, not less.
            String why = "a CPU-bound loop at " + Math.round(share * 100) + "% of its 0.5-CPU quota:\n" + top;
            assertThat(share).as(why).isGreaterThan(0.4);
            assertThat(100 - idle(top)).as(why).isCloseTo(Math.min(share, 1) * 100, org.assertj.core.data.Offset.offset(20.0));
            if (share > 0.9) assertThat(idle(top)).as(why).isLessThan(25);
        }
    }

    /**
     * Kernel files and renderings are shared for a few milliseconds among readers of one container:
     * two containers read at full speed at once, and each must only ever see its own limit.
     */
    @Test
    void readersOfTwoBusyContainersAtOnceEachSeeOnlyTheirOwn() throws Exception {
        try (LiveContainer a = new LiveContainer(200 * MIB, 0, null).start(daemon.mountPoint);
             LiveContainer b = new LiveContainer(300 * MIB, 0, null).start(daemon.mountPoint)) {
            Process ra = a.spawn(memTotalLoop(200 * 1024)), ra2 = a.spawn(memTotalLoop(200 * 1024));
            Process rb = b.spawn(memTotalLoop(300 * 1024));
            for (Process p : new Process[] {ra, ra2, rb}) {
                assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("reader finished").isTrue();
                String out = new String(p.getInputStream().readAllBytes()).strip();
                assertThat(out).as("reads / reads showing another MemTotal (stderr: %s)",
                        new String(p.getErrorStream().readAllBytes())).isEqualTo("3000 0");
            }
        }
    }

    /** Reads MemTotal 3000 times as fast as it can; prints the reads and those that were not {@code kb}. */
    private static String memTotalLoop(long kb) {
        return "exec /usr/bin/python3 -c \"import sys\nn = bad = 0\nfor i in range(3000):\n"
                + "    f = open(\\\"/proc/meminfo\\\"); line = f.readline(); f.close()\n"
                + "    n += 1; bad += line.split()[1] != sys.argv[1]\nprint(n, bad)\" " + kb;
    }

    @Test
    void uptimeCountsFromTheContainersStart() throws Exception {
        double host = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        try (LiveContainer c = new LiveContainer(0, 0, null).start(daemon.mountPoint)) {
            Thread.sleep(1500);
            double up = Double.parseDouble(inside(c, "cat /proc/uptime").split(" ")[0]);
            assertThat(up).isBetween(1.0, 30.0);
            if (host > 120) assertThat(inside(c, "uptime")).contains("up 0 min");
        }
    }

    @Test
    void loadAverageRisesUnderLoadAndCountsOnlyTheContainersTasks() throws Exception {
        try (LiveContainer c = new LiveContainer(0, 0, null).start(daemon.mountPoint)) {
            String first = inside(c, "cat /proc/loadavg");
            assertThat(first).matches("\\d+\\.\\d\\d \\d+\\.\\d\\d \\d+\\.\\d\\d \\d+/\\d+ \\d+\n");
            assertThat(Integer.parseInt(first.split(" ")[3].split("/")[1])).as("tasks of the container only").isLessThan(20);
            c.spawn("while :; do :; done");
            c.spawn("while :; do :; done");
            double load = 0;
            for (int i = 0; i < 40 && load < 0.1; i++) {
                Thread.sleep(500);
                load = Double.parseDouble(inside(c, "cat /proc/loadavg").split(" ")[0]);
            }
            assertThat(load).as("1-minute load after some seconds of 2 busy tasks").isGreaterThanOrEqualTo(0.1);
        }
    }

    private static String field(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) throw new AssertionError("no " + regex + " in:\n" + text);
        return m.group(1);
    }

    /** The idle percentage of top's last frame ("%Cpu(s): ... 97.5 id, ..."). */
    private static double idle(String top) {
        Matcher m = Pattern.compile("([0-9.]+) id,").matcher(top);
        double last = -1;
        while (m.find()) last = Double.parseDouble(m.group(1));
        if (last < 0) throw new AssertionError("no idle figure in top's output:\n" + top);
        return last;
    }
}
