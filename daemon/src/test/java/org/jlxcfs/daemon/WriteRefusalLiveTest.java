package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing can be changed through the mount, by root or by anyone else: every write-like call on
 * the files and directories jlxcfs serves is refused with an errno, and the tree is the same
 * afterwards. Modes are the host's: files 0444, slabinfo 0400 (root only, as on the host),
 * /proc/pressure/* 0666 (they take PSI triggers, as the kernel's do), directories 0555. The calls
 * are made by write-refusal-probe.py, as root and as uid 65534.
 *
 * <p>The one exception is the kernel's own: the pressure files open for writing, and a write there
 * is a PSI trigger (PsiTriggerLiveTest), so the file's own bytes written back are refused EINVAL.
 */
@RequiresRootAndFuse
class WriteRefusalLiveTest {
    private static final Duration T = Duration.ofSeconds(120);
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");
    /** Errnos that say "refused"; EBADF for calls on an O_RDONLY descriptor, EISDIR/EBUSY for directories and the mount point. */
    private static final Set<String> REFUSALS = Set.of("EROFS", "EACCES", "EPERM", "EOPNOTSUPP", "ENOTSUP", "ENOSYS",
            "EBADF", "EISDIR", "EBUSY", "ENOTEMPTY", "ENODATA");
    /** The files jlxcfs renders (the rest of sys/devices/system/cpu mirrors the host's). */
    private static final Set<String> RENDERED = Set.of("proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime",
            "proc/loadavg", "proc/diskstats", "proc/swaps", "proc/slabinfo", "proc/pressure/cpu", "proc/pressure/memory",
            "proc/pressure/io", "sys/devices/system/cpu/online", "sys/devices/system/cpu/possible",
            "sys/devices/system/cpu/present", "sys/devices/system/cpu/offline");
    /** The pressure files: they open for writing (as the kernel's do) and refuse what is not a trigger with EINVAL. */
    private static final Set<String> PRESSURE = Set.of("proc/pressure/cpu", "proc/pressure/memory", "proc/pressure/io");
    /**
     * What succeeds on them: the opens, and a shared writable mapping of a read-write descriptor
     * (the kernel's own file says ENODEV; ours maps, but its pages can never be read in, since
     * page-cache reads are refused, so touching it faults, and page-cache writeback is refused
     * EROFS: nothing can be changed through it, which the tree check below confirms).
     */
    private static final Set<String> PRESSURE_OPENS = Set.of("open(O_WRONLY)", "open(O_RDWR)", "open(O_WRONLY|O_APPEND)",
            "open(O_WRONLY|O_CREAT)", "mmap(MAP_SHARED, PROT_WRITE; O_RDWR fd)");
    static Path tmp;
    static Path probe;
    static DaemonProcess daemon;

    @BeforeAll
    static void setUp() throws Exception {
        Run.requireProgram("setpriv", "apt-get install util-linux");
        Run.requireProgram("/usr/bin/python3", "apt-get install python3");
        tmp = Run.sharedTempDir("jlxcfs-writes");
        probe = tmp.resolve("write-refusal-probe.py");
        try (InputStream in = WriteRefusalLiveTest.class.getResourceAsStream("/write-refusal-probe.py")) {
            Files.copy(in, probe);
        }
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rw-r--r--"));
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.signal("TERM");
            daemon.awaitExit(Duration.ofSeconds(20));
            daemon.close();
        }
        Run.deleteTree(tmp);
    }

    /** The probe run as root (asUser false) or as uid 65534; python3 is the system's, which that user can run. */
    private static String probe(boolean asNobody, String mode, List<Path> paths) {
        List<String> cmd = new ArrayList<>(asNobody ? AS_NOBODY : List.of());
        cmd.addAll(List.of("/usr/bin/python3", probe.toString(), mode, daemon.mountPoint.toString()));
        paths.forEach(p -> cmd.add(p.toString()));
        return Run.cmd(T, cmd.toArray(String[]::new)).requireSuccess().out();
    }

    /** The directories asked for and every regular file in or under them (cpu0: its own files and one of topology's). */
    private static List<Path> targets() throws IOException {
        Path m = daemon.mountPoint, cpu = m.resolve("sys/devices/system/cpu"), cpu0 = cpu.resolve("cpu0");
        List<Path> targets = new ArrayList<>(List.of(m, m.resolve("proc"), m.resolve("proc/pressure"), cpu, cpu0));
        try (Stream<Path> proc = Files.walk(m.resolve("proc")); Stream<Path> top = Files.list(cpu); Stream<Path> c0 = Files.list(cpu0)) {
            Stream.of(proc, top, c0).flatMap(s -> s).filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted()
                    .forEach(targets::add);
        }
        targets.add(cpu0.resolve("topology/core_id"));
        return targets;
    }

    @Test
    void everyWriteLikeCallIsRefusedForRootAndOthersAndTheTreeStaysTheSame() throws IOException {
        String before = probe(false, "tree", List.of());
        List<Path> targets = targets();
        List<String> failures = new ArrayList<>();
        // call -> who -> errnos seen
        Map<String, Map<String, Set<String>>> seen = new TreeMap<>();
        int calls = 0;
        for (boolean asNobody : new boolean[] {false, true}) {
            String who = asNobody ? "uid 65534" : "root";
            for (String line : probe(asNobody, "try", targets).split("\n")) {
                String[] f = line.split("\t");
                calls++;
                seen.computeIfAbsent(f[1], k -> new TreeMap<>()).computeIfAbsent(who, k -> new TreeSet<>()).add(f[2]);
                boolean pressure = PRESSURE.contains(f[0]);
                if (pressure && PRESSURE_OPENS.contains(f[1]) && f[2].equals("OK")) continue;
                if (pressure && f[2].equals("EINVAL")) continue;
                if (f[2].equals("OK")) failures.add(who + ": " + f[1] + " on " + f[0] + " succeeded");
                else if (!REFUSALS.contains(f[2])) failures.add(who + ": " + f[1] + " on " + f[0] + " failed with " + f[2] + ", not a refusal");
            }
        }
        System.out.println("== " + calls + " write-like calls on " + targets.size() + " entries, errnos seen:");
        seen.forEach((call, byWho) -> System.out.printf("  %-45s %s%n", call, byWho));
        failures.forEach(f -> System.out.println("  FAIL " + f));
        assertThat(calls).as("calls made").isGreaterThan(500);
        assertThat(failures).as("write-like calls not refused").isEmpty();
        assertThat(probe(false, "tree", List.of())).as("the tree (names, types, modes, owners) after the calls").isEqualTo(before);
    }

    @Test
    void modesAreTheHostsFiles0444Slabinfo0400Pressure0666Directories0555() throws IOException {
        List<String> failures = new ArrayList<>();
        String tree = probe(false, "tree", List.of());
        for (String line : tree.split("\n")) {
            String[] f = line.split("\t"); // path, type, mode, uid, gid
            String path = f[0], type = f[1], mode = f[2];
            String expected = switch (type) {
                case "d" -> "0555";
                case "l" -> null;
                default -> path.equals("proc/slabinfo") ? "0400" : PRESSURE.contains(path) ? "0666"
                        : RENDERED.contains(path) ? "0444" : mirroredMode(path);
            };
            if (expected != null && !mode.equals(expected)) failures.add(path + " has mode " + mode + ", not " + expected);
            if (!f[3].equals("0") || !f[4].equals("0")) failures.add(path + " is owned by " + f[3] + ":" + f[4] + ", not root");
        }
        System.out.println("== modes (the mirrored host files left out):");
        tree.lines().filter(l -> RENDERED.contains(l.split("\t")[0]) || l.split("\t")[1].equals("d") && !l.matches(".*/cpu\\d+/.*"))
                .forEach(l -> System.out.println("  " + l));
        failures.forEach(f -> System.out.println("  FAIL " + f));
        assertThat(failures).as("modes and owners").isEmpty();
    }

    /** A mirrored host file: the host's mode without write bits. */
    private static String mirroredMode(String path) {
        try {
            int host = (Integer) Files.getAttribute(Path.of("/" + path), "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return String.format("%04o", host & 0555);
        } catch (IOException e) {
            return null; // gone from the host since the mount was made: nothing to compare with
        }
    }

    @Test
    void slabinfoIsReadableByRootOnlyTheOtherFilesByEveryone() {
        List<Path> files = RENDERED.stream().sorted().map(daemon.mountPoint::resolve).toList();
        String asRoot = probe(false, "open", files), asNobody = probe(true, "open", files);
        System.out.println("== open(O_RDONLY) as root:\n" + asRoot + "== as uid 65534:\n" + asNobody);
        for (String line : asRoot.split("\n")) assertThat(line).as("as root").endsWith("\tOK");
        for (String line : asNobody.split("\n")) {
            if (line.startsWith("proc/slabinfo\t")) {
                assertThat(line).as("proc/slabinfo opened by uid 65534 (0400 root on the host)").endsWith("\tEACCES");
            } else {
                assertThat(line).as("as uid 65534").endsWith("\tOK");
            }
        }
    }
}
