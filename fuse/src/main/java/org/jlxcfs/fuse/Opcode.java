package org.jlxcfs.fuse;

/** FUSE request opcodes (include/uapi/linux/fuse.h) and their names for log lines. */
public final class Opcode {
    private Opcode() {}

    public static final int LOOKUP = 1, FORGET = 2, GETATTR = 3, SETATTR = 4, READLINK = 5, SYMLINK = 6,
            MKNOD = 8, MKDIR = 9, UNLINK = 10, RMDIR = 11, RENAME = 12, LINK = 13, OPEN = 14, READ = 15,
            WRITE = 16, STATFS = 17, RELEASE = 18, FSYNC = 20, SETXATTR = 21, GETXATTR = 22,
            LISTXATTR = 23, REMOVEXATTR = 24, FLUSH = 25, INIT = 26, OPENDIR = 27, READDIR = 28,
            RELEASEDIR = 29, FSYNCDIR = 30, GETLK = 31, SETLK = 32, SETLKW = 33, ACCESS = 34, CREATE = 35,
            INTERRUPT = 36, BMAP = 37, DESTROY = 38, IOCTL = 39, POLL = 40, NOTIFY_REPLY = 41,
            BATCH_FORGET = 42, FALLOCATE = 43, READDIRPLUS = 44, RENAME2 = 45, LSEEK = 46,
            COPY_FILE_RANGE = 47, SETUPMAPPING = 48, REMOVEMAPPING = 49, SYNCFS = 50, TMPFILE = 51,
            STATX = 52, COPY_FILE_RANGE_64 = 53;

    private static final String[] NAMES = new String[54];
    static {
        String[] n = {"", "LOOKUP", "FORGET", "GETATTR", "SETATTR", "READLINK", "SYMLINK", "7", "MKNOD", "MKDIR",
            "UNLINK", "RMDIR", "RENAME", "LINK", "OPEN", "READ", "WRITE", "STATFS", "RELEASE", "19", "FSYNC",
            "SETXATTR", "GETXATTR", "LISTXATTR", "REMOVEXATTR", "FLUSH", "INIT", "OPENDIR", "READDIR",
            "RELEASEDIR", "FSYNCDIR", "GETLK", "SETLK", "SETLKW", "ACCESS", "CREATE", "INTERRUPT", "BMAP",
            "DESTROY", "IOCTL", "POLL", "NOTIFY_REPLY", "BATCH_FORGET", "FALLOCATE", "READDIRPLUS", "RENAME2",
            "LSEEK", "COPY_FILE_RANGE", "SETUPMAPPING", "REMOVEMAPPING", "SYNCFS", "TMPFILE", "STATX",
            "COPY_FILE_RANGE_64"};
        System.arraycopy(n, 0, NAMES, 0, n.length);
    }

    public static String name(int opcode) {
        return opcode > 0 && opcode < NAMES.length ? NAMES[opcode] : "opcode " + Integer.toUnsignedString(opcode);
    }

    /** Requests that would change the tree or a file: all refused, since every view is read-only. */
    public static boolean modifies(int opcode) {
        return switch (opcode) {
            case SETATTR, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME, LINK, WRITE, SETXATTR, REMOVEXATTR,
                 CREATE, FALLOCATE, RENAME2, COPY_FILE_RANGE, COPY_FILE_RANGE_64, TMPFILE, SETUPMAPPING,
                 REMOVEMAPPING -> true;
            default -> false;
        };
    }

    /**
     * Known requests answered ENOSYS on purpose, as libfuse does for a filesystem without them:
     * the kernel then stops sending most of them (no_flush, no_getxattr, no_statx, ...).
     */
    public static boolean deliberatelyUnsupported(int opcode) {
        return switch (opcode) {
            case FLUSH, FSYNC, FSYNCDIR, GETXATTR, LISTXATTR, STATX, GETLK, SETLK, SETLKW, BMAP, IOCTL,
                 LSEEK, SYNCFS -> true;
            default -> false;
        };
    }
}
