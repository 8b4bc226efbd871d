package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Libc;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared trigger table: two mappings of one memfd stand for two daemons serving one connection. */
class PsiTableTest {
    /** A second daemon's view: the same memfd, opened again and mapped on its own. */
    private static PsiTable secondMapping(PsiTable t) throws Exception {
        return PsiTable.adopt(Libc.open("/proc/self/fd/" + t.fd(), Libc.O_RDWR | Libc.O_CLOEXEC)).orElseThrow();
    }

    @Test
    void slotsAreClaimedFoundAndFreedAndAFullTableSaysSo() throws Exception {
        try (PsiTable t = PsiTable.create(3)) {
            assertThat(t.claim(0x11, "some 100000 2000000")).isZero();
            assertThat(t.claim(0x22, "b")).isEqualTo(1);
            assertThat(t.claim(0x33, "c")).isEqualTo(2);
            assertThat(t.claim(0x44, "d")).as("a full table").isEqualTo(-1);
            assertThat(t.claim(0, "zero")).as("fh 0 marks a free slot").isEqualTo(-1);
            assertThat(t.find(0x22)).isEqualTo(1);
            assertThat(t.text(0)).isEqualTo("some 100000 2000000");
            t.free(1, 0x99);
            assertThat(t.find(0x22)).as("freed only by its own fh").isEqualTo(1);
            t.setKh(1, 0x22, 7);
            t.markPending(1, 0x22);
            t.free(1, 0x22);
            assertThat(t.find(0x22)).isEqualTo(-1);
            assertThat(t.claim(0x55, "e")).isEqualTo(1);
            assertThat(t.kh(1)).as("a reused slot starts clean").isZero();
            assertThat(t.pending(1)).isFalse();
        }
    }

    @Test
    void whatOneMappingRecordsTheOtherSeesAndAnEventIsTakenExactlyOnce() throws Exception {
        try (PsiTable a = PsiTable.create(16); PsiTable b = secondMapping(a)) {
            int slot = a.claim(0xabc, "some 100000 2000000");
            assertThat(b.find(0xabc)).isEqualTo(slot);
            b.setKh(slot, 0xabc, 42);
            assertThat(a.kh(slot)).isEqualTo(42);
            a.markPending(slot, 0xdead);
            assertThat(b.pending(slot)).as("an event for another fh is not recorded").isFalse();
            // the two "daemons" race to answer a POLL for the same event, 2000 times
            int doubled = 0, lost = 0;
            for (int i = 0; i < 2000; i++) {
                a.markPending(slot, 0xabc);
                AtomicInteger taken = new AtomicInteger();
                CyclicBarrier go = new CyclicBarrier(2);
                List<Thread> threads = new ArrayList<>();
                for (PsiTable t : new PsiTable[] {a, b}) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            go.await();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                        if (t.takePending(slot, 0xabc)) taken.incrementAndGet();
                    }));
                }
                for (Thread th : threads) th.join();
                if (taken.get() > 1) doubled++;
                if (taken.get() < 1) lost++;
            }
            assertThat(doubled).as("events reported twice").isZero();
            assertThat(lost).as("events lost").isZero();
            b.markGone(slot, 0xabc);
            assertThat(a.gone(slot)).isTrue();
        }
    }

    @Test
    void twoMappingsClaimingAtOnceNeverShareASlot() throws Exception {
        try (PsiTable a = PsiTable.create(400); PsiTable b = secondMapping(a)) {
            List<Integer> slots = java.util.Collections.synchronizedList(new ArrayList<>());
            CyclicBarrier go = new CyclicBarrier(4);
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                PsiTable t = k % 2 == 0 ? a : b;
                long base = (k + 1L) << 32;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    for (int i = 1; i <= 100; i++) slots.add(t.claim(base | i, "x"));
                }));
            }
            for (Thread th : threads) th.join();
            Set<Integer> distinct = new HashSet<>(slots);
            assertThat(slots).hasSize(400).doesNotContain(-1);
            assertThat(distinct).as("slots handed out twice").hasSize(400);
        }
    }

    @Test
    void aCorruptTableIsIgnored() throws Exception {
        byte[] junk = new byte[PsiTable.HEADER + 4 * PsiTable.SLOT];
        junk[0] = 'x';
        assertThat(PsiTable.adopt(Libc.memfd("junk", junk))).as("bad magic").isEmpty();
        assertThat(PsiTable.adopt(Libc.memfd("short", new byte[10]))).as("shorter than the header").isEmpty();
        try (PsiTable t = PsiTable.create(4)) {
            byte[] cut = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/fd/" + t.fd()));
            assertThat(PsiTable.adopt(Libc.memfd("cut", java.util.Arrays.copyOf(cut, cut.length - 64)))).as("wrong size").isEmpty();
            cut[8] = 9;
            assertThat(PsiTable.adopt(Libc.memfd("version", cut))).as("another version").isEmpty();
        }
    }
}
