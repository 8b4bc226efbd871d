package org.jlxcfs.fuse;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InitStateTest {
    private final InitState state = new InitState(45, 0x5fd_73fffffbL, 45,
            InitFlags.ASYNC_READ | InitFlags.INIT_EXT | InitFlags.PARALLEL_DIROPS, 131072, 4096, 16, 12);

    @Test
    void roundTripsThroughBytes() throws IOException {
        assertThat(InitState.fromBytes(state.toBytes())).isEqualTo(state);
        assertThat(state.kernelCanResend()).isTrue();
    }

    @Test
    void rejectsForeignTruncatedAndNewerData() {
        assertThatThrownBy(() -> InitState.fromBytes("hello world".getBytes())).hasMessageContaining("bad magic");
        byte[] bytes = state.toBytes();
        assertThatThrownBy(() -> InitState.fromBytes(Arrays.copyOf(bytes, bytes.length - 3))).hasMessageContaining("truncated");
        byte[] newer = bytes.clone();
        newer[5] = 9;
        assertThatThrownBy(() -> InitState.fromBytes(newer)).hasMessageContaining("version 9 is newer");
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);
        assertThatThrownBy(() -> InitState.fromBytes(longer)).hasMessageContaining("trailing");
    }
}
