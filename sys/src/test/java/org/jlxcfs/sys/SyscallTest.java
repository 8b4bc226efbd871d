package org.jlxcfs.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyscallTest {
    @Test
    void aFailedCallReturnsMinusErrno() {
        assertThat(Syscall.call(Syscall.CLOSE, -1)).isEqualTo(-9); // EBADF
    }

    @Test
    void pointerArgumentsReachTheKernel() {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) Syscall.call(Syscall.OPENAT, Syscall.AT_FDCWD, a.allocateFrom("/proc/self/stat").address(), 02000000);
            assertThat(fd).isGreaterThanOrEqualTo(0);
            MemorySegment buf = a.allocate(4096);
            long n = Syscall.call(Syscall.READ, fd, Syscall.address(buf, 4096), 4096);
            assertThat(Syscall.call(Syscall.CLOSE, fd)).isZero();
            String stat = new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            assertThat(stat).startsWith(ProcessHandle.current().pid() + " (");
        }
    }

    @Test
    void aHeapOrShortSegmentIsRefusedAsAPointer() {
        assertThatThrownBy(() -> Syscall.address(MemorySegment.ofArray(new byte[8]), 8))
                .isInstanceOf(IllegalArgumentException.class);
        try (Arena a = Arena.ofConfined()) {
            assertThatThrownBy(() -> Syscall.address(a.allocate(8), 9)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
