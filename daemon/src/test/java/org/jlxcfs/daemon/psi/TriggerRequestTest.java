package org.jlxcfs.daemon.psi;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.FuseError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kernel's rules for a trigger (psi_write, psi_trigger_create), case by case. */
class TriggerRequestTest {
    private static byte[] z(String s) {
        return (s + "\0").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void validTriggersAsTheKernelReadsThem() throws FuseError {
        assertThat(TriggerRequest.parse(z("some 150000 2000000"), false)).isEqualTo(new TriggerRequest(false, 150000, 2000000));
        assertThat(TriggerRequest.parse(z("full 50000 1000000"), true)).isEqualTo(new TriggerRequest(true, 50000, 1000000));
        // sscanf: blanks between and none after the keyword, anything after the window ignored
        assertThat(TriggerRequest.parse(z("some\t1   2000000 trailing"), false)).isEqualTo(new TriggerRequest(false, 1, 2000000));
        assertThat(TriggerRequest.parse(z("some1 2000000"), false)).isEqualTo(new TriggerRequest(false, 1, 2000000));
        assertThat(TriggerRequest.parse(z("some 1 10000000"), false).windowUs()).isEqualTo(10_000_000);
        // only the first 32 bytes count, the 32nd becoming the NUL
        assertThat(TriggerRequest.parse(z("some 100 2000000" + " ".repeat(100) + "junk"), false).thresholdUs()).isEqualTo(100);
        assertThat(new String(new TriggerRequest(false, 100000, 2000000).kernelText(), StandardCharsets.US_ASCII))
                .isEqualTo("some 100000 2000000\0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"most 1 2000000\0", " some 1 2000000\0", "some\0", "some 1\0", "some 0 0\0", "some 1 12000000\0",
        "some 3000000 2000000\0", "some 0 2000000\0", "some -1 2000000\0", "some +1 2000000\0", "SOME 1 2000000\0",
        "some 1 2000000", "\0", "some 1 1000000\0", "some 1 4294967296\0"})
    void invalidTriggersGetEinval(String written) {
        assertThatThrownBy(() -> TriggerRequest.parse(written.getBytes(StandardCharsets.ISO_8859_1), false))
                .isInstanceOf(FuseError.class).satisfies(e -> assertThat(((FuseError) e).errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    void aPrivilegedOpenerMayUseAnyWindowUpTo10sAndNoWriteOfAPageIsATrigger() throws FuseError {
        assertThat(TriggerRequest.parse(z("some 1 1000000"), true).windowUs()).isEqualTo(1_000_000);
        assertThat(TriggerRequest.parse(z("some 1 1"), true).windowUs()).isEqualTo(1);
        byte[] page = new byte[4096];
        System.arraycopy(z("some 1 2000000"), 0, page, 0, 15);
        assertThatThrownBy(() -> TriggerRequest.parse(page, true)).isInstanceOf(FuseError.class);
        assertThatThrownBy(() -> TriggerRequest.parse(new byte[0], true)).isInstanceOf(FuseError.class);
    }
}
