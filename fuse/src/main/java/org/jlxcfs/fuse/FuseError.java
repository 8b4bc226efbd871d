package org.jlxcfs.fuse;

/**
 * A request's answer is an errno. Thrown by filesystem code; carries no stack trace, and the
 * common ones are shared instances, so refusing a request costs no allocation.
 */
public final class FuseError extends Exception {
    private static final FuseError[] COMMON = new FuseError[128];
    static {
        for (int i = 1; i < COMMON.length; i++) COMMON[i] = new FuseError(i, null);
    }

    private final int errno;

    private FuseError(int errno, String detail) {
        super(detail == null ? Errno.describe(errno) : Errno.describe(errno) + ": " + detail, null, false, false);
        this.errno = errno;
    }

    public static FuseError of(int errno) {
        return errno > 0 && errno < COMMON.length ? COMMON[errno] : new FuseError(errno, null);
    }

    /** An error with a reason, for the cases worth a log line (cgroup file unreadable, ...). */
    public static FuseError of(int errno, String detail) {
        return new FuseError(errno, detail);
    }

    public int errno() {
        return errno;
    }
}
