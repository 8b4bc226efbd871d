package org.jlxcfs.fuse;

/** Linux errno values used by the protocol layer and the filesystems on top of it. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11,
            ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21,
            EINVAL = 22, ENOSPC = 28, EROFS = 30, ERANGE = 34, ENOSYS = 38, ENOTEMPTY = 39,
            ENODATA = 61, EPROTO = 71, EOPNOTSUPP = 95, ECONNABORTED = 103, ENOTCONN = 107,
            ESRCH = 3, ENAMETOOLONG = 36, ELOOP = 40;

    /** "ENOENT (No such file or directory)" style text, for log lines and exception messages. */
    public static String describe(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM (Operation not permitted)";
            case ENOENT -> "ENOENT (No such file or directory)";
            case ESRCH -> "ESRCH (No such process)";
            case EINTR -> "EINTR (Interrupted system call)";
            case EIO -> "EIO (Input/output error)";
            case EBADF -> "EBADF (Bad file descriptor)";
            case EAGAIN -> "EAGAIN (Resource temporarily unavailable)";
            case ENOMEM -> "ENOMEM (Cannot allocate memory)";
            case EACCES -> "EACCES (Permission denied)";
            case EBUSY -> "EBUSY (Device or resource busy)";
            case EEXIST -> "EEXIST (File exists)";
            case ENODEV -> "ENODEV (No such device)";
            case ENOTDIR -> "ENOTDIR (Not a directory)";
            case EISDIR -> "EISDIR (Is a directory)";
            case EINVAL -> "EINVAL (Invalid argument)";
            case ENOSPC -> "ENOSPC (No space left on device)";
            case EROFS -> "EROFS (Read-only file system)";
            case ENAMETOOLONG -> "ENAMETOOLONG (File name too long)";
            case ENOSYS -> "ENOSYS (Function not implemented)";
            case ENOTEMPTY -> "ENOTEMPTY (Directory not empty)";
            case ENODATA -> "ENODATA (No data available)";
            case EPROTO -> "EPROTO (Protocol error)";
            case EOPNOTSUPP -> "EOPNOTSUPP (Operation not supported)";
            case ECONNABORTED -> "ECONNABORTED (Software caused connection abort)";
            case ENOTCONN -> "ENOTCONN (Transport endpoint is not connected)";
            default -> null;
        };
        return name != null ? name : "errno " + errno;
    }
}
