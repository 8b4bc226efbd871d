package org.jlxcfs.fuse;

/**
 * FUSE_INIT capability bits as one 64-bit value: bits 0-31 travel in {@code flags},
 * bits 32-63 in {@code flags2} (only when FUSE_INIT_EXT is set on both sides).
 */
public final class InitFlags {
    private InitFlags() {}

    public static final long ASYNC_READ = 1L << 0;
    public static final long POSIX_LOCKS = 1L << 1;
    public static final long ATOMIC_O_TRUNC = 1L << 3;
    public static final long EXPORT_SUPPORT = 1L << 4;
    public static final long BIG_WRITES = 1L << 5;
    public static final long DO_READDIRPLUS = 1L << 13;
    public static final long READDIRPLUS_AUTO = 1L << 14;
    public static final long NO_OPEN_SUPPORT = 1L << 17;
    public static final long PARALLEL_DIROPS = 1L << 18;
    public static final long ABORT_ERROR = 1L << 21;
    public static final long MAX_PAGES = 1L << 22;
    public static final long NO_OPENDIR_SUPPORT = 1L << 24;
    public static final long INIT_EXT = 1L << 30;
    public static final long SECURITY_CTX = 1L << 32;
    public static final long CREATE_SUPP_GROUP = 1L << 34;
    public static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;
    public static final long NO_EXPORT_SUPPORT = 1L << 38;
    public static final long HAS_RESEND = 1L << 39;

    /** Human-readable list of the bits we know, for the startup log line. */
    public static String describe(long flags) {
        StringBuilder sb = new StringBuilder();
        append(sb, flags, ASYNC_READ, "ASYNC_READ");
        append(sb, flags, DO_READDIRPLUS, "DO_READDIRPLUS");
        append(sb, flags, READDIRPLUS_AUTO, "READDIRPLUS_AUTO");
        append(sb, flags, PARALLEL_DIROPS, "PARALLEL_DIROPS");
        append(sb, flags, MAX_PAGES, "MAX_PAGES");
        append(sb, flags, INIT_EXT, "INIT_EXT");
        append(sb, flags, DIRECT_IO_ALLOW_MMAP, "DIRECT_IO_ALLOW_MMAP");
        append(sb, flags, HAS_RESEND, "HAS_RESEND");
        return sb.isEmpty() ? "none" : sb.toString();
    }

    private static void append(StringBuilder sb, long flags, long bit, String name) {
        if ((flags & bit) != 0) sb.append(sb.isEmpty() ? "" : ",").append(name);
    }
}
