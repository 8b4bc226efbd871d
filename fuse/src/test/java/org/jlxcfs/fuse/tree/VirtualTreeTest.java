package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.jlxcfs.fuse.FuseFileSystem;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualTreeTest {
    private final Caller caller = new Caller(10, 0, 0);

    @Test
    void nodeIdsDependOnlyOnThePath() throws FuseError {
        VirtualTree a = VirtualTree.builder().file("proc/meminfo", Content.of("x")).build();
        VirtualTree b = VirtualTree.builder().file("proc/cpuinfo", Content.of("y")).file("proc/meminfo", Content.of("x")).build();
        long id = a.lookup(caller, a.lookup(caller, FuseFileSystem.ROOT_ID, "proc").nodeId(), "meminfo").nodeId();
        assertThat(id).isEqualTo(VirtualTree.nodeId("/proc/meminfo")).isEqualTo(VirtualTree.nodeId("proc/meminfo/"));
        assertThat(b.getattr(caller, id).attr().ino()).isEqualTo(id);
        assertThat(VirtualTree.nodeId("")).isEqualTo(FuseFileSystem.ROOT_ID);
    }

    @Test
    void lookupsOfMissingNamesAndNonDirectoriesFail() {
        VirtualTree t = VirtualTree.builder().file("f", Content.of("x")).build();
        assertThatThrownBy(() -> t.lookup(caller, FuseFileSystem.ROOT_ID, "nope")).extracting(e -> ((FuseError) e).errno()).isEqualTo(Errno.ENOENT);
        assertThatThrownBy(() -> t.lookup(caller, VirtualTree.nodeId("f"), "x")).extracting(e -> ((FuseError) e).errno()).isEqualTo(Errno.ENOTDIR);
        assertThatThrownBy(() -> VirtualTree.builder().file("f", Content.of("x")).dir("f/g")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsAtAnOffsetContinueTheRenderingMadeAtOffsetZero() throws FuseError {
        AtomicInteger renders = new AtomicInteger();
        VirtualTree t = VirtualTree.builder().file("r", Content.rendered(c -> ("render " + renders.incrementAndGet() + " " + "x".repeat(20))
                .getBytes(StandardCharsets.US_ASCII))).build();
        long id = VirtualTree.nodeId("r");
        long fh = t.open(caller, id, 0).fh();
        MemorySegment dst = Arena.ofAuto().allocate(64);
        assertThat(t.read(caller, id, fh, 0, 8, dst)).isEqualTo(8);
        assertThat(t.read(caller, id, fh, 7, 64, dst)).isEqualTo(22);
        assertThat(new String(dst.asSlice(0, 1).toArray(JAVA_BYTE), StandardCharsets.US_ASCII)).isEqualTo("1"); // still render 1
        assertThat(renders).hasValue(1);
        t.read(caller, id, fh, 0, 64, dst);
        assertThat(renders).hasValue(2);
        t.release(id, fh);
        assertThat(t.openRenderings()).isZero();
    }

    @Test
    void readdirResumesAtTheOffsetItHandsOut() throws FuseError {
        VirtualTree.Builder b = VirtualTree.builder();
        for (int i = 0; i < 10; i++) b.file("d/f" + i, Content.of("x"));
        VirtualTree t = b.build();
        List<String> names = new ArrayList<>();
        long[] next = {0};
        for (int round = 0; round < 20; round++) {
            int before = names.size();
            t.readdir(caller, VirtualTree.nodeId("d"), 0, next[0], (name, entry, off) -> {
                if (names.size() - before == 3) return false;
                names.add(new String(name, StandardCharsets.UTF_8));
                next[0] = off;
                return true;
            });
            if (names.size() == before) break;
        }
        assertThat(names).hasSize(12).startsWith(".", "..", "f0").endsWith("f9");
    }

    @Test
    void aTreeKnowsItsOwnHandlesFromAnotherProcesssOnes() throws FuseError {
        Content.Rendered r = c -> "x".getBytes(StandardCharsets.US_ASCII);
        VirtualTree mine = VirtualTree.builder().file("r", r).build(), other = VirtualTree.builder().file("r", r).build();
        long id = VirtualTree.nodeId("r");
        long own = mine.open(caller, id, 0).fh(), theirs = other.open(caller, id, 0).fh();
        assertThat(mine.ownsHandle(own)).isTrue();
        // two trees stand for two daemons: their random epochs differ (1 in 2^31 they collide)
        assertThat(mine.ownsHandle(theirs)).isFalse();
        assertThat(mine.ownsHandle(0)).isFalse();
    }

    @Test
    void aRenderedFilesSizeIsTheCallersRenderingNeverCached() throws FuseError {
        AtomicInteger renders = new AtomicInteger();
        VirtualTree t = VirtualTree.builder().file("r", Content.rendered(c -> ("x".repeat(c.pid()) + renders.incrementAndGet())
                .getBytes(StandardCharsets.US_ASCII))).build();
        long id = VirtualTree.nodeId("r");
        assertThat(t.getattr(new Caller(3, 0, 0), id).attr().size()).isEqualTo(4);
        assertThat(t.getattr(new Caller(3, 0, 0), id).attrTtlNanos()).isZero();
        assertThat(t.getattr(caller, id).attr().size()).isEqualTo(11);
        assertThat(t.lookup(caller, FuseFileSystem.ROOT_ID, "r").attr().size()).isEqualTo(11);
        MemorySegment dst = Arena.ofAuto().allocate(64);
        long fh = t.open(caller, id, 0).fh();
        assertThat(t.read(caller, id, fh, 0, 64, dst)).isEqualTo(11);
        assertThat(new String(dst.asSlice(10, 1).toArray(JAVA_BYTE), StandardCharsets.US_ASCII)).as("rendered for the read").isEqualTo("5");
        assertThat(t.read(caller, id, fh, 11, 64, dst)).as("the end, from the rendering kept").isZero();
        assertThat(renders).hasValue(5);
    }

    @Test
    void handlesKeepRenderingsWithinTheBudgetAndADroppedOneRendersAfresh() throws FuseError {
        AtomicInteger renders = new AtomicInteger();
        VirtualTree t = VirtualTree.builder().handleBudget(10_000)
                .file("r", Content.rendered(c -> ("%03d".formatted(renders.incrementAndGet()) + "y".repeat(997)).getBytes(StandardCharsets.US_ASCII)))
                .build();
        long id = VirtualTree.nodeId("r");
        MemorySegment dst = Arena.ofAuto().allocate(2000);
        List<Long> fhs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            long fh = t.open(caller, id, 0).fh();
            fhs.add(fh);
            assertThat(t.read(caller, id, fh, 0, 1, dst)).isEqualTo(1);
        }
        assertThat(t.renderingBytes()).isLessThanOrEqualTo(10_000);
        assertThat(t.openRenderings()).isLessThan(10);
        // the most recent handle still continues its own rendering; the first was dropped and renders anew
        assertThat(t.read(caller, id, fhs.getLast(), 0, 3, dst)).isEqualTo(3);
        int before = renders.get();
        assertThat(t.read(caller, id, fhs.getFirst(), 1, 2000, dst)).isEqualTo(999);
        assertThat(renders.get()).isEqualTo(before + 1);
        for (long fh : fhs) t.release(id, fh);
        assertThat(t.openRenderings()).isZero();
        assertThat(t.renderingBytes()).isZero();
    }

    @Test
    void modesAreCheckedForTheCaller() throws FuseError {
        VirtualTree t = VirtualTree.builder().file("secret", 0400, Content.of("s")).file("open", Content.of("o")).build();
        Caller user = new Caller(11, 1000, 1000);
        assertThat(t.getattr(user, VirtualTree.nodeId("secret")).attr().mode()).isEqualTo(0100400);
        assertThatThrownBy(() -> t.open(user, VirtualTree.nodeId("secret"), 0)).extracting(e -> ((FuseError) e).errno()).isEqualTo(Errno.EACCES);
        assertThat(t.open(caller, VirtualTree.nodeId("secret"), 0)).isNotNull();
        assertThat(t.open(user, VirtualTree.nodeId("open"), 0)).isNotNull();
        assertThatThrownBy(() -> t.access(user, VirtualTree.nodeId("open"), 1)).extracting(e -> ((FuseError) e).errno()).isEqualTo(Errno.EACCES);
        t.access(user, FuseFileSystem.ROOT_ID, 1 | 4);
    }

    @Test
    void pageCacheReadsOfRenderedFilesAreRefusedAndOfFixedOnesServed() throws FuseError {
        VirtualTree t = VirtualTree.builder().file("r", Content.rendered(c -> "mine".getBytes(StandardCharsets.US_ASCII)))
                .file("f", Content.of("same")).build();
        MemorySegment dst = Arena.ofAuto().allocate(4096);
        long r = VirtualTree.nodeId("r"), f = VirtualTree.nodeId("f");
        long fh = t.open(caller, r, 0).fh();
        assertThatThrownBy(() -> t.read(caller, r, fh, 0, 4096, dst, true)).extracting(e -> ((FuseError) e).errno()).isEqualTo(Errno.EIO);
        assertThat(t.read(caller, r, fh, 0, 4096, dst, false)).isEqualTo(4);
        assertThat(t.read(caller, f, t.open(caller, f, 0).fh(), 0, 4096, dst, true)).isEqualTo(4);
    }
}
