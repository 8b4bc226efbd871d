package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Zswap and Zswapped lines of a container's /proc/meminfo against its own memory.stat, on the
 * kernel the test runs on: on this project's hybrid host (v1 memory controller) they are 0, on a
 * v2 kernel with zswap on they follow the cgroup's {@code zswap} and {@code zswapped} after a
 * memory hog has been pushed out to swap through zswap. A second daemon with
 * {@code --disable-zswap} shows 0 beside the same swap.
 *
 * <p>{@code -Djlxcfs.test.zramSwap=SIZE} (the cgroup v2 VM, see {@link ZswapVmIT}) first makes a
 * zram swap device of that size and turns zswap on, and undoes both afterwards; without it the
 * host's swap and zswap setting are used as they are, and the swapping test is skipped where they
 * do not allow it.
 */
@RequiresRootAndFuse
class ZswapLiveTest {
    private static final long MIB = 1024 * 1024;
    private static final Path ZSWAP_ENABLED = Path.of("/sys/module/zswap/parameters/enabled");
    static Path tmp;
    static DaemonProcess daemon;
    static DaemonProcess withoutZswap;
    static ZramSwap zram;

    @BeforeAll
    static void start() throws Exception {
        String size = System.getProperty("jlxcfs.test.zramSwap");
        if (size != null) zram = ZramSwap.create(size);
        tmp = Files.createTempDirectory("jlxcfs-zswap");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        // one after the other: two JVMs starting at once in the emulated VM can take more than awaitServing's 120 s
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
        Files.createDirectories(tmp.resolve("off"));
        withoutZswap = DaemonProcess.start(tmp.resolve("off/mnt"), tmp.resolve("off/daemon.log"), "--disable-zswap")
                .awaitServing("proc/meminfo");
    }

    @AfterAll
    static void stop() throws Exception {
        for (DaemonProcess d : new DaemonProcess[] {daemon, withoutZswap}) {
            if (d == null) continue;
            d.signal("TERM");
            d.awaitExit(Duration.ofSeconds(20));
            d.close();
        }
        Run.deleteTree(tmp);
        if (zram != null) zram.close();
    }

    /** Any host: the lines exist only where the host's do, and are the cgroup's figures or 0, never the host's. */
    @Test
    void zswapLinesAreTheContainersOwnOrZero() throws Exception {
        boolean hostHasLines = Files.readString(Path.of("/proc/meminfo")).contains("\nZswapped:");
        try (LiveContainer c = new LiveContainer(128 * MIB, 0, null).start(daemon.mountPoint)) {
            Map<String, Long> seen = agreeingReading(c);
            if (!hostHasLines) {
                assertThat(seen).as("a kernel without Zswap lines: none added").doesNotContainKeys("Zswap", "Zswapped");
                return;
            }
            Map<String, Long> stat = memoryStat(c);
            if (!LiveContainer.unifiedOnly() || !stat.containsKey("zswapped")) {
                // v1 memory controller (hybrid host) or a v2 kernel without the figures
                assertThat(seen).as("no zswap figures in %s: the container's zeroes", memoryStatFile(c))
                        .containsEntry("Zswap", 0L).containsEntry("Zswapped", 0L);
            } else {
                long zswapped = Math.min(stat.get("zswapped") / 1024, seen.get("SwapTotal") - seen.get("SwapFree"));
                assertThat(seen).as("%s: %s", memoryStatFile(c), stat)
                        .containsEntry("Zswapped", zswapped).containsEntry("Zswap", Math.min(stat.get("zswap") / 1024, zswapped));
            }
            assertThat(read(c, withoutZswap.mountPoint)).containsEntry("Zswap", 0L).containsEntry("Zswapped", 0L);
        }
    }

    /** A v2 kernel with zswap on and swap: a hog pushed out of a 64 MiB limit shows in the container's zswap lines. */
    @Test
    void pagesPushedIntoZswapShowAsTheCgroupCountsThem() throws Exception {
        Assumptions.assumeTrue(LiveContainer.unifiedOnly(), "needs cgroup v2 (zswap figures are in v2 memory.stat only); "
                + "this host's memory controller is v1");
        Assumptions.assumeTrue(Files.exists(ZSWAP_ENABLED) && Files.readString(ZSWAP_ENABLED).strip().equals("Y"),
                "zswap is off (" + ZSWAP_ENABLED + "); the cgroup v2 VM test turns it on (ZswapVmIT)");
        Map<String, Long> host = meminfo(Files.readString(Path.of("/proc/meminfo")));
        Assumptions.assumeTrue(host.getOrDefault("SwapTotal", 0L) > 200 * 1024, "needs 200 MiB of swap, the host has "
                + host.getOrDefault("SwapTotal", 0L) + " kB");
        try (LiveContainer c = new LiveContainer(64 * MIB, 0, null).start(daemon.mountPoint)) {
            assertThat(memoryStat(c)).as(memoryStatFile(c) + " of a v2 kernel with zswap").containsKeys("zswap", "zswapped");
            // 160 MiB of data that compresses (a 1 KiB random block repeated) but is not same-filled
            c.spawn("exec python3 -c \"import os, time; b = os.urandom(1024) * (160 * 1024); time.sleep(600)\"");
            long zswapped = 0;
            for (int i = 0; i < 600 && zswapped < 64 * MIB; i++) {
                Thread.sleep(100);
                zswapped = memoryStat(c).getOrDefault("zswapped", 0L);
            }
            assertThat(zswapped).as("bytes in zswap of a 160 MiB hog in 64 MiB").isGreaterThanOrEqualTo(64 * MIB);

            Map<String, Long> seen = agreeingReading(c);
            Map<String, Long> stat = memoryStat(c);
            String why = "container's meminfo " + seen + " against " + memoryStatFile(c) + " " + stat;
            assertThat(seen.get("Zswapped")).as(why).isEqualTo(stat.get("zswapped") / 1024);
            assertThat(seen.get("Zswap")).as(why).isEqualTo(stat.get("zswap") / 1024).isLessThan(seen.get("Zswapped"));
            // a zswapped page keeps its swap slot: it counts as used swap, as in the host's meminfo
            assertThat(seen.get("SwapTotal") - seen.get("SwapFree")).as(why).isGreaterThanOrEqualTo(seen.get("Zswapped"));

            Map<String, Long> off = read(c, withoutZswap.mountPoint);
            assertThat(off).as("--disable-zswap").containsEntry("Zswap", 0L).containsEntry("Zswapped", 0L);
            assertThat(off.get("SwapTotal") - off.get("SwapFree")).as("--disable-zswap keeps the swap").isGreaterThan(0);
            System.out.println("zswap in a 64 MiB v2 container: " + why);
        }
    }

    /**
     * The container's meminfo, read between two equal readings of its memory.stat: the kernel
     * flushes the statistics lazily (up to every 2 s), so one reading beside a moving one proves nothing.
     */
    private static Map<String, Long> agreeingReading(LiveContainer c) throws Exception {
        for (int i = 0; i < 50; i++) {
            Map<String, Long> before = zswapOf(memoryStat(c));
            Map<String, Long> seen = meminfo(c.exec("cat /proc/meminfo").requireSuccess().out());
            if (before.equals(zswapOf(memoryStat(c)))) return seen;
            Thread.sleep(200);
        }
        throw new AssertionError(memoryStatFile(c) + " kept changing: no steady reading in 10 s");
    }

    private static Map<String, Long> zswapOf(Map<String, Long> stat) {
        Map<String, Long> m = new HashMap<>();
        for (String k : new String[] {"zswap", "zswapped"}) if (stat.containsKey(k)) m.put(k, stat.get(k));
        return m;
    }

    private static Map<String, Long> read(LiveContainer c, Path mountPoint) {
        return meminfo(c.exec("cat '" + mountPoint.resolve("proc/meminfo") + "'").requireSuccess().out());
    }

    private static Map<String, Long> meminfo(String text) {
        Map<String, Long> m = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(":\\s+|\\s+");
            if (f.length >= 2 && f[1].matches("\\d+")) m.put(f[0], Long.parseLong(f[1]));
        }
        return m;
    }

    /** memory.stat of the container's memory cgroup, found from its init's /proc/PID/cgroup. */
    private static Map<String, Long> memoryStat(LiveContainer c) throws IOException {
        Map<String, Long> m = new HashMap<>();
        for (String line : Files.readAllLines(memoryStatFile(c))) {
            String[] f = line.split(" ");
            if (f.length == 2) m.put(f[0], Long.parseLong(f[1]));
        }
        return m;
    }

    private static Path memoryStatFile(LiveContainer c) throws IOException {
        boolean v2 = LiveContainer.unifiedOnly();
        for (String line : Files.readAllLines(Path.of("/proc/" + c.initPid() + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (v2 ? f[0].equals("0") : ("," + f[1] + ",").contains(",memory,")) {
                return Path.of(v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory", f[2].substring(1), "memory.stat");
            }
        }
        throw new IOException("no memory cgroup in /proc/" + c.initPid() + "/cgroup");
    }

    /**
     * A zram swap device with zswap turned on in front of it, for a throwaway VM whose only
     * memory is RAM (a swap file on its tmpfs root is refused); undone on close.
     */
    record ZramSwap(String zswapBefore) implements AutoCloseable {
        static ZramSwap create(String size) throws IOException {
            String before = Files.readString(ZSWAP_ENABLED).strip();
            ZramSwap z = new ZramSwap(before);
            try {
                Run.cmd(Duration.ofSeconds(30), modprobe("zram", "num_devices=1")).requireSuccess();
                Files.writeString(Path.of("/sys/block/zram0/disksize"), size);
                Run.cmd(Duration.ofSeconds(30), "/sbin/mkswap", "/dev/zram0").requireSuccess();
                Run.cmd(Duration.ofSeconds(30), "/sbin/swapon", "/dev/zram0").requireSuccess();
                Files.writeString(ZSWAP_ENABLED, "1");
                return z;
            } catch (IOException | RuntimeException | Error e) {
                z.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            Files.writeString(ZSWAP_ENABLED, zswapBefore.equals("Y") ? "1" : "0");
            Run.cmd(Duration.ofSeconds(60), "/sbin/swapoff", "/dev/zram0");
            Run.cmd(Duration.ofSeconds(30), modprobe("-r", "zram"));
        }

        /** The host's modprobe where kmod is installed, else the VM's busybox (this host has no kmod). */
        private static String[] modprobe(String... args) {
            List<String> cmd = new ArrayList<>();
            Path kmod = Stream.of("/usr/sbin/modprobe", "/sbin/modprobe").map(Path::of)
                    .filter(Files::isExecutable).findFirst().orElse(null);
            if (kmod != null) cmd.add(kmod.toString());
            else cmd.addAll(List.of("/bb/busybox", "modprobe"));
            cmd.addAll(List.of(args));
            return cmd.toArray(String[]::new);
        }
    }
}
