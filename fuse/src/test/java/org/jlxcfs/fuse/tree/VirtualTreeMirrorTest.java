package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Attr;
import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.Entry;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.Opened;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Host mirrors on a fake sysfs cpu directory: per-caller children, fixed node ids, overrides, errors. */
class VirtualTreeMirrorTest {
    static final String CPU = "sys/devices/system/cpu";
    /** Callers with pid 7 see cpu0 and cpu1 only; everyone else sees every CPU. */
    static final ChildFilter TWO_CPUS_FOR_PID_7 =
            (c, name) -> c.pid() != 7 || !name.matches("cpu[0-9]+") || Integer.parseInt(name.substring(3)) < 2;

    private final Caller limited = new Caller(7, 0, 0), host = new Caller(8, 0, 0);

    @TempDir
    Path tmp;
    Path fake;

    /** cpu0..cpu15 with topology/core_id, online, possible, a symlink, a mode-000 file, a tree deeper than the walk. */
    @BeforeEach
    void fakeHost() throws IOException {
        fake = tmp.resolve("cpu");
        for (int i = 0; i < 16; i++) {
            Files.createDirectories(fake.resolve("cpu" + i + "/topology"));
            Files.writeString(fake.resolve("cpu" + i + "/topology/core_id"), i + "\n");
        }
        Files.writeString(fake.resolve("online"), "0-15\n");
        Files.writeString(fake.resolve("possible"), "0-15\n");
        Files.setPosixFilePermissions(fake.resolve("online"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(fake.resolve("cpu0/run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(fake.resolve("cpu0/run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(fake.resolve("cpu0/subsystem"), Path.of("../cpu1")); // followed, it would duplicate cpu1
        Files.writeString(fake.resolve("unreadable"), "secret\n");
        Files.setPosixFilePermissions(fake.resolve("unreadable"), PosixFilePermissions.fromString("---------"));
        Files.createDirectories(fake.resolve("a/b/c/d/e/f/g"));
        Files.writeString(fake.resolve("a/b/c/d/e/depth6"), "6\n");
        Files.writeString(fake.resolve("a/b/c/d/e/f/depth7"), "7\n");
    }

    VirtualTree tree() {
        return VirtualTree.builder().cacheFor(Duration.ofSeconds(60)).mirror(CPU, fake, TWO_CPUS_FOR_PID_7).build();
    }

    static long id(String path) {
        return VirtualTree.nodeId(path);
    }

    static int errno(ThrowingRunnable r) {
        try {
            r.run();
        } catch (FuseError e) {
            return e.errno();
        }
        throw new AssertionError("no FuseError");
    }

    interface ThrowingRunnable {
        void run() throws FuseError;
    }

    /** Every name READDIR gives {@code caller} in {@code dir}, with its entry. */
    static Map<String, Entry> list(VirtualTree t, Caller caller, String dir) throws FuseError {
        Map<String, Entry> out = new LinkedHashMap<>();
        long[] next = {0};
        while (true) {
            int before = out.size();
            t.readdir(caller, id(dir), 0, next[0], (name, entry, off) -> {
                if (out.size() - before == 4) return false; // small replies, so resuming is exercised
                out.put(new String(name, StandardCharsets.UTF_8), entry);
                next[0] = off;
                return true;
            });
            if (out.size() == before) return out;
        }
    }

    static String read(VirtualTree t, Caller caller, String path) throws FuseError {
        long node = id(path);
        Opened o = t.open(caller, node, 0);
        MemorySegment dst = Arena.ofAuto().allocate(4096);
        try {
            int n = t.read(caller, node, o.fh(), 0, 4096, dst);
            return new String(dst.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        } finally {
            t.release(node, o.fh());
        }
    }

    @Test
    void eachCallerLooksUpAndListsOnlyTheChildrenItIsShown() throws FuseError {
        VirtualTree t = tree();
        List<String> all = new ArrayList<>(List.of(".", "..", "a"));
        for (int i = 0; i < 16; i++) all.add("cpu" + i);
        all.addAll(List.of("online", "possible", "unreadable"));
        assertThat(list(t, host, CPU).keySet()).containsExactlyInAnyOrderElementsOf(all);
        assertThat(list(t, limited, CPU).keySet()).containsExactlyInAnyOrder(".", "..", "a", "cpu0", "cpu1", "online", "possible", "unreadable");

        assertThat(t.lookup(host, id(CPU), "cpu5").nodeId()).isEqualTo(id(CPU + "/cpu5"));
        assertThat(errno(() -> t.lookup(limited, id(CPU), "cpu5"))).isEqualTo(Errno.ENOENT);
        assertThat(t.lookup(limited, id(CPU), "cpu1").nodeId()).isEqualTo(id(CPU + "/cpu1"));
        assertThat(errno(() -> t.lookup(host, id(CPU), "cpu16"))).isEqualTo(Errno.ENOENT);
        // only the direct children are filtered
        assertThat(t.lookup(limited, id(CPU + "/cpu5"), "topology").nodeId()).isEqualTo(id(CPU + "/cpu5/topology"));
        // the directory links the subdirectories the caller sees: a, cpu0, cpu1 (+ . and its parent's entry)
        assertThat(t.getattr(limited, id(CPU)).attr().nlink()).isEqualTo(2 + 3);
        assertThat(t.getattr(host, id(CPU)).attr().nlink()).isEqualTo(2 + 17);
        assertThat(t.lookup(limited, id("sys/devices/system"), "cpu").attr().nlink()).isEqualTo(2 + 3);
    }

    @Test
    void whatDependsOnTheCallerIsNeverCachedAndEverythingElseIs() throws FuseError {
        VirtualTree t = tree();
        long ttl = Duration.ofSeconds(60).toNanos();
        Entry dir = t.lookup(host, id("sys/devices/system"), "cpu");
        assertThat(dir.entryTtlNanos()).as("the mirror's own name").isEqualTo(ttl);
        assertThat(dir.attrTtlNanos()).as("the mirror's link count").isZero();
        for (Map.Entry<String, Entry> e : list(t, host, CPU).entrySet()) {
            if (e.getKey().startsWith(".")) continue;
            assertThat(e.getValue().entryTtlNanos()).as(e.getKey()).isZero();
            assertThat(e.getValue().attrTtlNanos()).as(e.getKey()).isZero();
        }
        Entry deeper = t.lookup(host, id(CPU + "/cpu3"), "topology");
        assertThat(deeper.entryTtlNanos()).isEqualTo(ttl);
        assertThat(deeper.attrTtlNanos()).isEqualTo(ttl);
        Entry file = t.getattr(host, id(CPU + "/cpu3/topology/core_id"));
        assertThat(file.entryTtlNanos()).isEqualTo(ttl);
        assertThat(file.attrTtlNanos()).as("a file read afresh at each read has its size asked each time").isZero();
    }

    @Test
    void mirroredEntriesAreReadOnlyCopiesOfTheHostsAndTooDeepEntriesAreLeftOut() throws Exception {
        VirtualTree t = tree();
        Attr online = t.getattr(host, id(CPU + "/online")).attr();
        assertThat(online.mode()).isEqualTo(Attr.S_IFREG | 0444);
        assertThat(online.size()).as("the length of what a read gives").isEqualTo(Files.size(fake.resolve("online")));
        assertThat(t.getattr(host, id(CPU + "/cpu0/run.sh")).attr().mode()).isEqualTo(Attr.S_IFREG | 0550);
        assertThat(t.getattr(host, id(CPU + "/unreadable")).attr().mode()).isEqualTo(Attr.S_IFREG);
        assertThat(t.getattr(host, id(CPU + "/cpu0")).attr().mode()).isEqualTo(Attr.S_IFDIR | 0555);
        assertThat(t.open(host, id(CPU + "/online"), 0).openFlags()).isEqualTo(Opened.DIRECT_IO);

        assertThat(read(t, host, CPU + "/cpu3/topology/core_id")).isEqualTo("3\n");
        Files.writeString(fake.resolve("cpu3/topology/core_id"), "33\n");
        assertThat(read(t, host, CPU + "/cpu3/topology/core_id")).as("read afresh from the host").isEqualTo("33\n");

        assertThat(list(t, host, CPU + "/cpu0").keySet()).containsExactlyInAnyOrder(".", "..", "topology", "run.sh", "subsystem");
        Attr link = t.lookup(host, id(CPU + "/cpu0"), "subsystem").attr();
        assertThat(link.mode()).isEqualTo(Attr.S_IFLNK | 0777);
        assertThat(link.size()).isEqualTo("../cpu1".length());
        assertThat(new String(t.readlink(host, id(CPU + "/cpu0/subsystem")), StandardCharsets.UTF_8)).isEqualTo("../cpu1");
        assertThat(errno(() -> list(t, host, CPU + "/cpu0/subsystem"))).as("not followed: no cpu1 copy").isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> t.readlink(host, id(CPU + "/online")))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> t.open(host, id(CPU + "/cpu0/subsystem"), 0))).isEqualTo(Errno.ELOOP);
        Files.delete(fake.resolve("cpu0/subsystem"));
        assertThat(errno(() -> t.readlink(host, id(CPU + "/cpu0/subsystem")))).as("gone on the host").isEqualTo(Errno.ENOENT);
        assertThat(read(t, host, CPU + "/a/b/c/d/e/depth6")).isEqualTo("6\n");
        assertThat(list(t, host, CPU + "/a/b/c/d/e").keySet()).containsExactlyInAnyOrder(".", "..", "depth6");
    }

    @Test
    void aCallersChildIsReadFromTheHostEntryItsFilterNames() throws Exception {
        ChildFilter eightUp = new ChildFilter() {
            @Override
            public boolean visible(Caller c, String name) throws FuseError {
                return TWO_CPUS_FOR_PID_7.visible(c, name);
            }

            @Override
            public String hostName(Caller c, String name) {
                return c.pid() == 7 && name.matches("cpu[0-9]+") ? "cpu" + (8 + Integer.parseInt(name.substring(3))) : name;
            }
        };
        Files.createSymbolicLink(fake.resolve("cpu9/subsystem"), Path.of("../cpu9-bus"));
        VirtualTree t = VirtualTree.builder().mirror(CPU, fake, eightUp).build();
        assertThat(read(t, limited, CPU + "/cpu0/topology/core_id")).isEqualTo("8\n");
        assertThat(read(t, limited, CPU + "/cpu1/topology/core_id")).isEqualTo("9\n");
        assertThat(read(t, host, CPU + "/cpu1/topology/core_id")).isEqualTo("1\n");
        assertThat(read(t, limited, CPU + "/possible")).as("not a cpuN: the same name").isEqualTo("0-15\n");
        // the shape is cpu0's (which has the link), the target cpu8's, which has none
        assertThat(errno(() -> t.readlink(limited, id(CPU + "/cpu0/subsystem")))).isEqualTo(Errno.ENOENT);
        assertThat(new String(t.readlink(host, id(CPU + "/cpu0/subsystem")), StandardCharsets.UTF_8)).isEqualTo("../cpu1");
        assertThat(errno(() -> t.lookup(limited, id(CPU + "/cpu1"), "subsystem"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void nodeIdsAreTheHashOfThePathInEveryBuild() throws Exception {
        VirtualTree first = tree();
        // a successor process: another build, with a file added on the host in between
        Files.writeString(fake.resolve("kernel_max"), "8191\n");
        VirtualTree second = tree();
        for (String p : List.of(CPU, CPU + "/cpu15", CPU + "/cpu15/topology", CPU + "/cpu15/topology/core_id", CPU + "/online",
                CPU + "/a/b/c/d/e/depth6")) {
            assertThat(first.getattr(host, id(p)).nodeId()).as(p).isEqualTo(id(p));
            assertThat(second.getattr(host, id(p)).attr()).as(p).usingRecursiveComparison().ignoringFields("timeSeconds")
                    .isEqualTo(first.getattr(host, id(p)).attr());
        }
        assertThat(second.lookup(host, id(CPU), "kernel_max").nodeId()).isEqualTo(id(CPU + "/kernel_max"));
        for (Map.Entry<String, Entry> e : list(second, host, CPU + "/cpu15").entrySet()) {
            if (!e.getKey().startsWith(".")) assertThat(e.getValue().nodeId()).isEqualTo(id(CPU + "/cpu15/" + e.getKey()));
        }
    }

    @Test
    void filesAddedByTheBuilderOverrideTheHostsEntries() throws FuseError {
        VirtualTree t = VirtualTree.builder()
                .file(CPU + "/online", Content.of("0-1\n"))
                .mirror(CPU, fake, TWO_CPUS_FOR_PID_7)
                .file(CPU + "/cpu4", Content.of("not a directory\n"))
                .file(CPU + "/extra/x", Content.of("x\n"))
                .build();
        assertThat(read(t, limited, CPU + "/online")).isEqualTo("0-1\n");
        assertThat(t.getattr(host, id(CPU + "/online")).attr().size()).isEqualTo(4);
        assertThat(read(t, host, CPU + "/possible")).isEqualTo("0-15\n");
        assertThat(read(t, host, CPU + "/cpu4")).isEqualTo("not a directory\n");
        assertThat(errno(() -> t.getattr(host, id(CPU + "/cpu4/topology")))).as("the host's cpu4 is replaced whole").isEqualTo(Errno.ENOENT);
        assertThat(list(t, host, CPU).keySet()).containsOnlyOnce("online").contains("extra", "cpu4");
        // Builder entries among the direct children are filtered too
        assertThat(errno(() -> t.lookup(limited, id(CPU), "cpu4"))).isEqualTo(Errno.ENOENT);
        assertThat(t.getattr(host, id(CPU + "/online")).entryTtlNanos()).isZero();
    }

    @Test
    void hostFilesThatCannotBeReadAnswerAnErrnoAndTheTreeKeepsServing() throws Exception {
        VirtualTree t = tree();
        if (Libc.getuid() != 0) {
            assertThat(errno(() -> read(t, host, CPU + "/unreadable"))).isEqualTo(Errno.EACCES);
        } else {
            assertThat(read(t, host, CPU + "/unreadable")).as("root reads past mode bits, as on the host").isEqualTo("secret\n");
        }
        Files.delete(fake.resolve("possible"));
        Files.createDirectory(fake.resolve("possible"));
        assertThat(errno(() -> read(t, host, CPU + "/possible"))).as("read fails (here: EISDIR)").isEqualTo(Errno.EIO);
        Files.delete(fake.resolve("cpu2/topology/core_id"));
        assertThat(errno(() -> read(t, host, CPU + "/cpu2/topology/core_id"))).isEqualTo(Errno.ENOENT);
        assertThat(read(t, host, CPU + "/online")).isEqualTo("0-15\n");
        assertThat(t.openRenderings()).isZero();

        assertThat(VirtualTree.errnoOf(new AccessDeniedException("x"))).isEqualTo(Errno.EACCES);
        assertThat(VirtualTree.errnoOf(new NoSuchFileException("x"))).isEqualTo(Errno.ENOENT);
        assertThat(VirtualTree.errnoOf(new IOException("Device or resource busy"))).isEqualTo(Errno.EIO);
    }

    @Test
    void aSysfsAttributeThatRefusesReadingAnswersEaccesEvenToRoot() throws FuseError {
        Path bus = Path.of("/sys/bus/cpu");
        assumeTrue(Files.exists(bus.resolve("drivers_probe")), "needs sysfs with the write-only /sys/bus/cpu/drivers_probe");
        VirtualTree t = VirtualTree.builder().mirror("bus", bus, null).build();
        assertThat(t.getattr(host, id("bus/drivers_probe")).attr().mode()).isEqualTo(Attr.S_IFREG);
        assertThat(errno(() -> read(t, host, "bus/drivers_probe"))).isEqualTo(Errno.EACCES);
        assertThat(t.getattr(host, id("bus")).attrTtlNanos()).as("no filter: cached as usual").isPositive();
    }

    @Test
    void aMissingHostDirectoryIsAnEmptyDirectoryAndMirrorsMayNotOverlap() throws FuseError {
        VirtualTree t = VirtualTree.builder().mirror("m", tmp.resolve("nope"), TWO_CPUS_FOR_PID_7).build();
        assertThat(list(t, host, "m").keySet()).containsExactly(".", "..");
        assertThatThrownBy(() -> VirtualTree.builder().mirror("sys", fake, null).mirror(CPU, fake, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VirtualTree.builder().file("f", Content.of("x")).mirror("f", fake, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
