package org.jlxcfs.view.host;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecentTest {
    private static final long MS = 1_000_000L;

    private static Recent.Reading counting(AtomicInteger reads) {
        return () -> new byte[] {(byte) reads.incrementAndGet()};
    }

    @Test
    void sharesAReadingWithinItsTimeThenReadsAgain() throws Exception {
        Recent<String> recent = new Recent<>(50 * MS, 8, 1024);
        AtomicInteger reads = new AtomicInteger();
        assertThat(recent.get("a", counting(reads))).containsExactly(1);
        assertThat(recent.get("a", counting(reads))).as("shared").containsExactly(1);
        assertThat(recent.get("b", counting(reads))).as("another key").containsExactly(2);
        Thread.sleep(80);
        assertThat(recent.get("a", counting(reads))).as("expired: read again").containsExactly(3);
    }

    @Test
    void offReadsEveryTime() throws Exception {
        Recent<String> recent = new Recent<>(0, 8, 1024);
        AtomicInteger reads = new AtomicInteger();
        recent.get("a", counting(reads));
        recent.get("a", counting(reads));
        assertThat(reads).hasValue(2);
        assertThat(recent.size()).isZero();
    }

    @Test
    void aFailedReadingIsNotKept() throws Exception {
        Recent<String> recent = new Recent<>(60_000 * MS, 8, 1024);
        assertThatThrownBy(() -> recent.get("gone", () -> { throw new IOException("vanished"); })).hasMessage("vanished");
        AtomicInteger reads = new AtomicInteger();
        assertThat(recent.get("gone", counting(reads))).containsExactly(1);
    }

    @Test
    void manyKeysNeverHoldMoreThanTheBounds() throws Exception {
        Recent<Integer> recent = new Recent<>(60_000 * MS, 100, 10_000);
        for (int i = 0; i < 100_000; i++) {
            recent.get(i, () -> new byte[50]);
            assertThat(recent.size()).isLessThanOrEqualTo(100);
        }
        // bytes: 100 entries of 50 fit 10,000 but 200-byte ones do not
        for (int i = 1; i < 10_000; i++) {
            recent.get(-i, () -> new byte[200]);
            assertThat(recent.size()).isLessThanOrEqualTo(100);
            assertThat(recent.bytes()).isLessThanOrEqualTo(10_000);
        }
        AtomicInteger reads = new AtomicInteger();
        recent.get(-1_000_000, () -> new byte[5_000]);
        recent.get(-1_000_000, () -> { reads.incrementAndGet(); return new byte[5_000]; });
        assertThat(reads).as("larger than an eighth of the budget: never kept").hasValue(1);
    }

    @Test
    void expiredReadingsDoNotStayInTheHeap() throws Exception {
        Recent<Integer> recent = new Recent<>(10 * MS, 100, 10_000);
        for (int i = 0; i < 50; i++) recent.get(i, () -> new byte[10]);
        assertThat(recent.size()).isEqualTo(50);
        Thread.sleep(1_100);
        recent.get(-1, () -> new byte[10]);
        assertThat(recent.size()).as("a second later the expired ones are swept").isEqualTo(1);
        assertThat(recent.bytes()).isEqualTo(10);
    }
}
