package org.jlxcfs.fuse;

import java.io.IOException;

/** A failed libc call: names the call, what it was applied to, and the errno. */
public final class LibcException extends IOException {
    private final int errno;

    public LibcException(String call, String subject, int errno) {
        super(call + (subject.isEmpty() ? "" : " " + subject) + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
