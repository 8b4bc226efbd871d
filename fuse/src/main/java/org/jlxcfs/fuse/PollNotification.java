package org.jlxcfs.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * FUSE_NOTIFY_POLL: tells the kernel that what a POLL on the handle {@code kh} answered has
 * changed; it wakes that file's pollers, which send POLL again. Written unsolicited on the
 * connection (unique 0, error = the notify code), from any thread: writes to /dev/fuse are whole.
 */
public final class PollNotification {
    private PollNotification() {}

    static final int NOTIFY_POLL = 1, LENGTH = 16 + 8;

    /** Sends the wake-up for {@code kh} on {@code fuseFd}; 0 or -errno (ENOENT: no poller is registered for it). */
    public static int send(int fuseFd, long kh) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(LENGTH, 8);
            encode(m, kh);
            long w = Libc.write(fuseFd, m, LENGTH);
            return w == LENGTH ? 0 : w < 0 ? (int) w : -Errno.EIO;
        }
    }

    static void encode(MemorySegment m, long kh) {
        m.set(JAVA_INT_UNALIGNED, 0, LENGTH);
        m.set(JAVA_INT_UNALIGNED, 4, NOTIFY_POLL);
        m.set(JAVA_LONG_UNALIGNED, 8, 0L);
        m.set(JAVA_LONG_UNALIGNED, 16, kh);
    }
}
