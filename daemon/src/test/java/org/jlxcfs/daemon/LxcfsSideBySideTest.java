package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * jlxcfs and LXCFS 5.0.3 (the Debian package, on its own temporary mount point) read by the
 * same process of the same container: every field equal, or within a stated tolerance for
 * values that move, apart from the deliberate differences listed in docs/differences/README.md.
 * Prints the comparison table.
 */
@RequiresRootAndFuse
class LxcfsSideBySideTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final long MIB = 1024 * 1024;
    static Path tmp, lxcfsMount;
    static Process lxcfs;
    static DaemonProcess jlxcfs;
    static LiveContainer container;
    static final List<String> table = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/lxcfs"))) {
            String why = "LXCFS is not installed (apt-get install lxcfs)";
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(why);
            Assumptions.abort(why);
        }
        tmp = Files.createTempDirectory("jlxcfs-side");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        lxcfsMount = tmp.resolve("lxcfs");
        Files.createDirectories(lxcfsMount);
        lxcfs = new ProcessBuilder("/usr/bin/lxcfs", "-f", "-l", "--pidfile=" + tmp.resolve("lxcfs.pid"), lxcfsMount.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("lxcfs.log").toFile()).start();
        jlxcfs = DaemonProcess.start(tmp.resolve("jlxcfs"), tmp.resolve("jlxcfs.log")).awaitServing("proc/meminfo");
        for (int i = 0; i < 200 && Run.cmd(T, "cat", lxcfsMount + "/proc/meminfo").exit() != 0; i++) Thread.sleep(50);
        container = new LiveContainer(256 * MIB, 0, "0").start(null);
        // some activity in the container's cgroups, so the figures are not all zero: CPU time,
        // anonymous memory held by a sleeper, page cache from a file written inside
        container.spawn("exec python3 -c \"import time, hashlib; b = bytearray(b\\\"x\\\" * (40 * 1024 * 1024)); "
                + "[hashlib.sha256(b).hexdigest() for _ in range(5)]; time.sleep(600)\"");
        container.spawn("dd if=/dev/zero of=/tmp/jlxcfs-side-cache bs=1M count=20 status=none; rm -f /tmp/jlxcfs-side-cache").waitFor();
        Thread.sleep(3000);
    }

    @AfterAll
    static void stop() throws Exception {
        if (container != null) container.close();
        if (jlxcfs != null) {
            jlxcfs.signal("TERM");
            jlxcfs.awaitExit(Duration.ofSeconds(20));
            jlxcfs.close();
        }
        if (lxcfs != null) {
            lxcfs.destroy();
            lxcfs.waitFor();
        }
        if (lxcfsMount != null && MountTable.at(lxcfsMount).isPresent()) Run.cmd(T, "umount", "-l", lxcfsMount.toString());
        Run.deleteTree(tmp);
        System.out.println("| file | field | LXCFS 5.0.3 | jlxcfs | verdict |\n|---|---|---|---|---|\n" + String.join("\n", table));
    }

    /** The file as LXCFS and as jlxcfs show it to the container, read in one command. */
    private static String[] both(String file) {
        String out = container.exec("cat " + lxcfsMount + "/" + file + "; echo '<<>>'; cat " + jlxcfs.mountPoint + "/" + file)
                .requireSuccess().out();
        String[] parts = out.split("<<>>\n", 2);
        return new String[] {parts[0], parts[1]};
    }

    private static Map<String, Long> meminfo(String text) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(":\\s+");
            if (f.length == 2) m.put(f[0], Long.parseLong(f[1].replace(" kB", "").trim()));
        }
        return m;
    }

    private static void row(String file, String field, Object l, Object j, String verdict) {
        table.add("| " + file + " | " + field + " | " + l + " | " + j + " | " + verdict + " |");
    }

    @Test
    void meminfo() {
        String[] b = both("proc/meminfo");
        Map<String, Long> l = meminfo(b[0]), j = meminfo(b[1]);
        assertThat(j.keySet()).as("same lines in the same order").containsExactlyElementsOf(l.keySet());
        Set<String> exact = Set.of("MemTotal", "Buffers", "SwapCached", "SwapTotal", "SwapFree");
        // usage moves between the two reads; the container is small, so a few MiB is generous
        Set<String> moving = Set.of("MemFree", "Cached", "Active", "Inactive", "Active(anon)", "Inactive(anon)",
                "Active(file)", "Inactive(file)", "Shmem", "AnonPages", "Mapped");
        // deliberate: MemAvailable counts file LRU (+ reclaimable slab) not all cache; Mlocked capped
        // at the container's Unevictable; Dirty, Writeback, AnonHugePages from the cgroup
        for (String k : l.keySet()) {
            long lv = l.get(k), jv = j.get(k);
            if (exact.contains(k)) {
                assertThat(jv).as(k).isEqualTo(lv);
                row("meminfo", k, lv, jv, "equal");
            } else if (moving.contains(k)) {
                assertThat(Math.abs(jv - lv)).as(k + ": LXCFS " + lv + " jlxcfs " + jv).isLessThanOrEqualTo(8 * 1024);
                row("meminfo", k, lv, jv, jv == lv ? "equal" : "within 8 MiB (moves)");
            }
        }
        long lAvail = l.get("MemAvailable"), jAvail = j.get("MemAvailable");
        assertThat(jAvail).isBetween(j.get("MemFree"), j.get("MemTotal"));
        row("meminfo", "MemAvailable", lAvail, jAvail, "deliberate: free + file LRU + reclaimable slab");
    }

    @Test
    void cpuinfoOnlineAndSwaps() {
        String[] cpu = both("proc/cpuinfo");
        List<String> deliberate = List.of("siblings", "cpu cores");
        assertThat(withoutLines(cpu[1], deliberate)).isEqualTo(withoutLines(cpu[0], deliberate));
        row("cpuinfo", "processor blocks", count(cpu[0]), count(cpu[1]), "equal (siblings/cpu cores: deliberate)");
        String[] online = both("sys/devices/system/cpu/online");
        assertThat(online[1]).isEqualTo(online[0]);
        row("sys/.../online", "list", online[0].strip(), online[1].strip(), "equal");
        String[] swaps = both("proc/swaps");
        assertThat(swaps[1]).isEqualTo(swaps[0]);
        row("swaps", "whole file", swaps[0].lines().count() + " lines", swaps[1].lines().count() + " lines", "equal");
    }

    @Test
    void uptimeAndStat() {
        String[] up = both("proc/uptime");
        double lUp = Double.parseDouble(up[0].split(" ")[0]), jUp = Double.parseDouble(up[1].split(" ")[0]);
        assertThat(Math.abs(jUp - lUp)).as("uptime").isLessThan(1.0);
        row("uptime", "uptime", lUp, jUp, "within 1 s");
        row("uptime", "idle", up[0].split(" ")[1].strip(), up[1].split(" ")[1].strip(), "deliberate: capacity x uptime - busy");
        String[] st = both("proc/stat");
        long[] l = cpuRow(st[0]), j = cpuRow(st[1]);
        assertThat(Math.abs((j[0] + j[2]) - (l[0] + l[2]))).as("user+system ticks").isLessThanOrEqualTo(20);
        row("stat", "cpu user+system", l[0] + l[2], j[0] + j[2], "within 20 ticks");
        row("stat", "cpu idle", l[3], j[3], "deliberate: from the container's quota, not the host's idle");
        assertThat(st[1].lines().filter(s -> s.matches("cpu\\d+ .*")).count())
                .isEqualTo(st[0].lines().filter(s -> s.matches("cpu\\d+ .*")).count());
    }

    @Test
    void loadavg() throws InterruptedException {
        // LXCFS answers "0/1" until its sampler has seen the container once (5 s cadence)
        both("proc/loadavg");
        Thread.sleep(6000);
        String[] la = both("proc/loadavg");
        String[] l = la[0].strip().split(" "), j = la[1].strip().split(" ");
        for (int i = 0; i < 3; i++) assertThat(Math.abs(Double.parseDouble(j[i]) - Double.parseDouble(l[i]))).isLessThan(0.5);
        row("loadavg", "1/5/15 min", l[0] + " " + l[1] + " " + l[2], j[0] + " " + j[1] + " " + j[2], "within 0.5");
        int lTotal = Integer.parseInt(l[3].split("/")[1]), jTotal = Integer.parseInt(j[3].split("/")[1]);
        assertThat(Math.abs(jTotal - lTotal)).as("tasks").isLessThanOrEqualTo(2);
        row("loadavg", "tasks", l[3], j[3], "within 2 (moves)");
        row("loadavg", "last pid", l[4], j[4], "deliberate: the container's own pid, not a host TID");
    }

    private static long[] cpuRow(String stat) {
        String[] f = stat.lines().filter(s -> s.startsWith("cpu ")).findFirst().orElseThrow().trim().split("\\s+");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])};
    }

    private static String withoutLines(String text, List<String> keys) {
        return String.join("\n", text.lines().filter(s -> keys.stream().noneMatch(s::startsWith)).toList());
    }

    private static long count(String cpuinfo) {
        return cpuinfo.lines().filter(s -> s.startsWith("processor")).count();
    }
}
