package org.jlxcfs.view.host;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class KeptTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void keepsEachValueForItsKeyUntilItExpires() throws Exception {
        Kept<String, Integer> kept = new Kept<>(8, 50_000_000L);
        AtomicInteger reads = new AtomicInteger();
        assertThat(kept.get("a", reads::incrementAndGet)).isEqualTo(1);
        assertThat(kept.get("a", reads::incrementAndGet)).isEqualTo(1);
        assertThat(kept.get("b", reads::incrementAndGet)).isEqualTo(2);
        Thread.sleep(80);
        assertThat(kept.get("a", reads::incrementAndGet)).as("expired: read again").isEqualTo(3);
    }

    @Test
    void manyNewKeysPushOutTheLeastRecentlyUsedOnlyNeverEveryone() throws Exception {
        Kept<String, String> kept = new Kept<>(100, 60 * SECOND);
        AtomicInteger reads = new AtomicInteger();
        kept.get("busy container's neighbour", () -> "kept" + reads.incrementAndGet());
        for (int i = 0; i < 99; i++) kept.get("noisy " + i, () -> "x" + reads.incrementAndGet());
        // the neighbour is read again (most recently used) while the noisy one makes 1,000 more keys
        for (int i = 99; i < 1_099; i++) {
            assertThat(kept.get("busy container's neighbour", () -> "again" + reads.incrementAndGet())).isEqualTo("kept1");
            kept.get("noisy " + i, () -> "x" + reads.incrementAndGet());
        }
        assertThat(kept.size()).isEqualTo(100);
        // the old version cleared everything past its bound: the neighbour would have been read again here
        assertThat(kept.get("busy container's neighbour", () -> "again")).isEqualTo("kept1");
    }

    @Test
    void typedPerConcernSoTheSameKeyInTwoCachesNeverMixes() throws Exception {
        Kept<Integer, String> names = new Kept<>(4, 60 * SECOND);
        Kept<Integer, Long> sizes = new Kept<>(4, 60 * SECOND);
        assertThat(names.get(7, () -> "seven")).isEqualTo("seven");
        assertThat(sizes.get(7, () -> 7L)).isEqualTo(7L);
    }

    @Test
    void aRecycledPidIsAnotherKey() {
        assertThat(new ProcessIdentity(4242, 100)).isNotEqualTo(new ProcessIdentity(4242, 9100));
    }
}
