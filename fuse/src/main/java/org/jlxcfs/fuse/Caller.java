package org.jlxcfs.fuse;

/**
 * Who made a request, from the request header. {@code pid} is the kernel's thread id of the
 * caller in the pid namespace of the process that mounted, not its process id (TGID); it is 0
 * for requests the kernel makes on its own (RELEASE, FORGET, INIT) and for callers outside the
 * mounter's pid namespace. uid and gid are the caller's fsuid and fsgid.
 */
public record Caller(int pid, int uid, int gid) {
    public static final Caller KERNEL = new Caller(0, 0, 0);
}
