package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way a program reads a file gives the bytes read(2) gives: busybox cat (sendfile),
 * coreutils cat, dd with O_DIRECT, Python's shutil.copyfile (sendfile), sendfile and splice loops,
 * pread in pieces and at offsets, mmap. Where the kernel would read through the file's page cache
 * (splice and sendfile before Linux's 2026 fix, mmap), which all readers of a file share, jlxcfs
 * refuses with EIO rather than give one reader another's bytes: raw sendfile and splice loops and
 * mmap may then fail, never read wrong bytes, and busybox cat and shutil.copyfile, which fall back
 * to read(2) by themselves, must read right. Checked in a podman container made from a busybox image,
 * in an unshare container, and on the host side of the mount for every file it serves
 * (read-paths-probe.py does the reading, this class the comparing).
 *
 * <p>Files that move between two reads (uptime, stat, meminfo ...) are compared by shape: the same
 * lines with the same words once numbers and runs of blanks are blurred, about the same length,
 * complete. Files stable within a second are compared byte for byte.
 */
@RequiresRootAndFuse
class ReadPathsLiveTest {
    private static final String REFERENCE = "read(2)";
    /** The one method that reads from an offset rather than the whole file. */
    private static final String FROM_7 = "pread at 7, fresh handle";
    /**
     * A mapping holds the size stat reported, which for a file rendered afresh at each open may be
     * more than this rendering: the kernel fills the rest of the page with zeros, which is fine.
     * A mapping that holds less than the file is not.
     */
    private static final String MMAP = "mmap MAP_PRIVATE";
    /** Through the page cache on this kernel (see the class comment): a refusal is right, wrong bytes are not. */
    private static final Set<String> MAY_BE_REFUSED = Set.of("os.sendfile loop", "os.splice loop", MMAP);
    /** Stable within a second wherever read; diskstats too inside an idle container. */
    private static final Set<String> STABLE = Set.of("proc/cpuinfo", "proc/swaps", "sys/devices/system/cpu/online",
            "sys/devices/system/cpu/possible", "sys/devices/system/cpu/present", "sys/devices/system/cpu/offline");
    private static final String IN_CONTAINER_STABLE = "proc/diskstats";

    static Path tmp;
    static Path probeDir;
    static DaemonProcess daemon;
    static PodmanHarness podman;

    @BeforeAll
    static void setUp() throws Exception {
        Run.requireProgram("/usr/bin/python3", "apt-get install python3");
        tmp = Run.sharedTempDir("jlxcfs-readpaths");
        probeDir = Files.createDirectory(tmp.resolve("probe"));
        try (InputStream in = ReadPathsLiveTest.class.getResourceAsStream("/read-paths-probe.py")) {
            Files.copy(in, probeDir.resolve("read-paths-probe.py"));
        }
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (podman != null) podman.close();
        if (daemon != null) {
            daemon.signal("TERM");
            daemon.awaitExit(Duration.ofSeconds(20));
            daemon.close();
        }
        Run.deleteTree(tmp);
    }

    @Test
    void inABusyboxPodmanContainer() throws IOException {
        // made here, not for the class: where podman is missing only this test is skipped
        podman = PodmanHarness.create(tmp);
        String image = podman.busyboxImage();
        // the host's /usr for python3, coreutils and dd; busybox is the image's own /bin/busybox
        List<String> argv = new ArrayList<>(List.of("/usr/bin/python3", "/probe/read-paths-probe.py", "/bin/busybox"));
        for (String f : LiveContainer.BOUND) argv.add("/" + f);
        Run.Result r = podman.run(daemon.mountPoint, image, List.of("-v", "/usr:/usr:ro", "-v", probeDir + ":/probe:ro",
                "--memory", "256m", "--cpus", "1"), argv.toArray(String[]::new));
        check("podman busybox container", r.requireSuccess().out(), f -> f.substring(1), true);
    }

    @Test
    void inAnUnshareContainer() throws Exception {
        try (LiveContainer c = new LiveContainer(256L << 20, 1, null).start(daemon.mountPoint)) {
            StringBuilder script = new StringBuilder("exec /usr/bin/python3 " + probeDir.resolve("read-paths-probe.py") + " "
                    + busybox());
            for (String f : LiveContainer.BOUND) script.append(" /").append(f);
            check("unshare container", c.exec(script.toString()).requireSuccess().out(), f -> f.substring(1), true);
        }
    }

    @Test
    void onTheHostSideOfTheMountForEveryServedFile() throws IOException {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/python3", probeDir.resolve("read-paths-probe.py").toString(), busybox()));
        try (Stream<Path> all = Files.walk(daemon.mountPoint)) {
            all.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().forEach(p -> argv.add(p.toString()));
        }
        assertThat(argv.size() - 3).as("files served").isGreaterThan(20);
        String prefix = daemon.mountPoint + "/";
        Run.Result r = Run.cmd(Duration.ofSeconds(300), argv.toArray(String[]::new));
        check("host side", r.requireSuccess().out(), f -> f.substring(prefix.length()), false);
    }

    private static String busybox() {
        return Run.cmd(Duration.ofSeconds(10), "sh", "-c", "command -v busybox").requireSuccess().out().strip();
    }

    /** A method's outcome: bytes read, an error, or "not applicable" (mmap of a size-0 file). */
    private record Outcome(String status, byte[] bytes, String message) {}

    /**
     * Compares every method with read(2) for every file in the probe's output; prints a table of
     * sizes, then fails with every difference found.
     */
    private static void check(String where, String probeOutput, java.util.function.UnaryOperator<String> relative,
                              boolean inContainer) {
        Map<String, Map<String, Outcome>> byFile = new LinkedHashMap<>();
        for (String line : probeOutput.split("\n")) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", 4);
            byte[] bytes = f[2].equals("ok") ? Base64.getDecoder().decode(f[3]) : null;
            byFile.computeIfAbsent(relative.apply(f[0]), k -> new LinkedHashMap<>()).put(f[1], new Outcome(f[2], bytes, f[3]));
        }
        assertThat(byFile).as(where + ": the probe's output").isNotEmpty();
        List<String> failures = new ArrayList<>();
        StringBuilder table = new StringBuilder("== " + where + ": bytes read per method (ERR: error, -: not applicable)\n");
        List<String> methods = List.copyOf(byFile.values().iterator().next().keySet());
        for (int i = 0; i < methods.size(); i++) table.append(String.format("  m%-2d %s%n", i, methods.get(i)));
        for (Map.Entry<String, Map<String, Outcome>> e : byFile.entrySet()) {
            String file = e.getKey();
            Outcome ref = e.getValue().get(REFERENCE);
            boolean exact = STABLE.contains(file) || inContainer && file.equals(IN_CONTAINER_STABLE);
            table.append(String.format("  %-58s", file + (exact ? " (exact)" : "")));
            for (String m : methods) {
                Outcome o = e.getValue().get(m);
                table.append(String.format(" %6s", o == null ? "?" : switch (o.status()) {
                    case "ok" -> String.valueOf(o.bytes().length);
                    case "err" -> "ERR";
                    default -> "-";
                }));
            }
            table.append('\n');
            // the files jlxcfs renders itself; the rest of sys/devices/system/cpu mirrors the host's
            boolean virtual = !file.startsWith("sys/devices/system/cpu/") || STABLE.contains(file);
            if (ref == null || ref.bytes() == null) {
                // some sysfs attributes cannot be read on the host either (power/autosuspend_delay_ms: EIO)
                if (!virtual && unreadable(Path.of("/").resolve(file))) {
                    table.append("    (unreadable on the host too: not compared)\n");
                } else {
                    failures.add(file + ": read(2) failed: " + (ref == null ? "no result" : ref.message()));
                }
                continue;
            }
            // never empty, never cut; but a container that did no I/O has no disk lines
            boolean mayBeEmpty = !virtual || inContainer && file.equals("proc/diskstats");
            if (!(mayBeEmpty && ref.bytes().length == 0) && !complete(ref.bytes())) {
                failures.add(file + ": read(2) gave " + describe(ref.bytes()));
            }
            for (Map.Entry<String, Outcome> m : e.getValue().entrySet()) {
                if (m.getKey().equals(REFERENCE)) continue;
                Outcome o = m.getValue();
                String what = file + ": " + m.getKey() + ": ";
                switch (o.status()) {
                    case "err" -> {
                        boolean refused = o.message().startsWith("EIO") || o.message().contains("SIGBUS");
                        if (!(refused && MAY_BE_REFUSED.contains(m.getKey()))) failures.add(what + o.message());
                    }
                    case "skip" -> { }
                    default -> {
                        byte[] expected = m.getKey().equals(FROM_7)
                                ? Arrays.copyOfRange(ref.bytes(), Math.min(7, ref.bytes().length), ref.bytes().length) : ref.bytes();
                        byte[] actual = m.getKey().equals(MMAP) ? withoutZeroTail(o.bytes()) : o.bytes();
                        if (m.getKey().equals(FROM_7) && !exact) {
                            // a cut 7 bytes into a moving first line lands on other words when its numbers grew
                            expected = afterFirstLine(expected);
                            actual = afterFirstLine(actual);
                        }
                        String diff = exact ? exactDiff(expected, actual) : shapeDiff(expected, actual);
                        if (diff != null) failures.add(what + diff);
                    }
                }
            }
        }
        System.out.print(table);
        failures.forEach(f -> System.out.println("  FAIL " + f));
        assertThat(failures).as(where + ": reads that differ from read(2) (" + failures.size() + "; sizes in the table printed above)").isEmpty();
    }

    private static byte[] afterFirstLine(byte[] b) {
        for (int i = 0; i < b.length; i++) if (b[i] == '\n') return Arrays.copyOfRange(b, i + 1, b.length);
        return new byte[0];
    }

    private static byte[] withoutZeroTail(byte[] b) {
        int n = b.length;
        while (n > 0 && b[n - 1] == 0) n--;
        return Arrays.copyOf(b, n);
    }

    private static boolean unreadable(Path hostFile) {
        try {
            Files.readAllBytes(hostFile);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean complete(byte[] b) {
        return b.length > 0 && b[b.length - 1] == '\n';
    }

    private static String describe(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return b.length + " bytes" + (b.length == 0 ? " (empty)" : complete(b) ? "" : " (no final newline: truncated)")
                + (b.length > 0 ? ", starting " + quote(s.substring(0, Math.min(40, s.length()))) : "");
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }

    private static String exactDiff(byte[] expected, byte[] actual) {
        if (Arrays.equals(expected, actual)) return null;
        int at = Arrays.mismatch(expected, actual);
        return "gave " + describe(actual) + ", read(2) gave " + describe(expected) + "; they differ from byte " + at;
    }

    /**
     * Null when {@code actual} has {@code expected}'s shape: as complete, the same number of
     * lines, each line the same once digit runs and blank runs are blurred, the length within
     * 16 bytes + 2 %.
     */
    private static String shapeDiff(byte[] expected, byte[] actual) {
        String what = "gave " + describe(actual) + ", read(2) gave " + describe(expected);
        if (complete(expected) != complete(actual) || expected.length > 0 && actual.length == 0) return what;
        List<String> e = shape(expected), a = shape(actual);
        if (e.size() != a.size()) return what + ": " + a.size() + " lines, not " + e.size();
        for (int i = 0; i < e.size(); i++) {
            if (!e.get(i).equals(a.get(i))) return what + ": line " + (i + 1) + " is " + quote(a.get(i)) + ", not " + quote(e.get(i));
        }
        if (Math.abs(expected.length - actual.length) > 16 + expected.length / 50) return what + ": lengths too far apart";
        return null;
    }

    private static List<String> shape(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return s.lines().map(l -> l.replaceAll("\\d+", "0").replaceAll("[ \\t]+", " ")).toList();
    }
}
