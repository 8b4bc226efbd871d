package org.jlxcfs.daemon.psi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The names trigger fds are kept under (keeper HOLD, systemd FDNAME): the handle and nothing else comes back. */
class TriggerStoreTest {
    @Test
    void aNameGivesBackItsHandleAndNoOtherNameGivesOne() {
        for (long fh : new long[] {1, 0x7fffffff00000001L, 0x1234abcd00000042L, -1L}) {
            String name = TriggerStore.name(fh);
            assertThat(name).matches("psi-[0-9a-f]{1,16}");
            assertThat(name.length()).as("systemd's FDNAME and the keeper's names take at most 40 characters").isLessThanOrEqualTo(40);
            assertThat(TriggerStore.fhOf(name)).isEqualTo(fh);
        }
        for (String other : new String[] {TriggerStore.TABLE, "jlxcfs-master", "psi-", "psi-xyz", "psi-12345678901234567", "x-12"}) {
            assertThat(TriggerStore.fhOf(other)).as(other).isZero();
        }
    }
}
