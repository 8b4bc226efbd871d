package org.jlxcfs.fuse;

import java.lang.foreign.MemorySegment;

/**
 * A read-only, inode-based filesystem served by {@link FuseSession}. Node ids must be
 * deterministic (the same path gives the same id in every process and every build that has it)
 * and file handles must either mean the same to a successor process or be recognisably unknown
 * to it, so a new daemon can serve a connection an old one set up.
 *
 * <p>Every method may be called from several worker threads at once. Refuse with
 * {@link FuseError}; anything else thrown is answered EIO and logged.
 */
public interface FuseFileSystem {
    long ROOT_ID = 1;

    Entry lookup(Caller caller, long parent, String name) throws FuseError;

    Entry getattr(Caller caller, long node) throws FuseError;

    /**
     * {@code flags} are open(2) flags; write access has been refused before this is called unless
     * {@link #writable} says the node takes writes.
     */
    Opened open(Caller caller, long node, int flags) throws FuseError;

    /**
     * Copies up to {@code size} bytes at {@code offset} into {@code dst} (whose size is at least
     * {@code size}) and returns how many; fewer than asked means end of file.
     *
     * @param pageCache the kernel reads for its page cache (splice and sendfile on kernels that
     *                  send them through it, mmap), not for one read(2): what is returned is kept
     *                  there for every reader of the node, and a short answer lowers the size the
     *                  kernel knows for all of them
     */
    int read(Caller caller, long node, long fh, long offset, int size, MemorySegment dst, boolean pageCache)
            throws FuseError;

    /** A read(2) of the caller's own. */
    default int read(Caller caller, long node, long fh, long offset, int size, MemorySegment dst) throws FuseError {
        return read(caller, node, fh, offset, size, dst, false);
    }

    /** The target of a symbolic link; EINVAL for anything else, as readlink(2) says. */
    default byte[] readlink(Caller caller, long node) throws FuseError {
        throw FuseError.of(Errno.EINVAL);
    }

    /** The kernel is done with a handle. Called with no caller (pid 0); must not fail. */
    default void release(long node, long fh) {}

    default Opened opendir(Caller caller, long node, int flags) throws FuseError {
        Entry e = getattr(caller, node);
        if (!e.attr().isDirectory()) throw FuseError.of(Errno.ENOTDIR);
        return new Opened(0, 0);
    }

    /** Lists entries from {@code offset} on (0 is the start; later values are ones this code chose). */
    void readdir(Caller caller, long node, long fh, long offset, DirectoryListing out) throws FuseError;

    default void releasedir(long node, long fh) {}

    /** The kernel drops {@code count} references to a node it learned from LOOKUP or READDIRPLUS. */
    default void forget(long node, long count) {}

    default StatFs statfs(Caller caller, long node) throws FuseError {
        return StatFs.EMPTY;
    }

    /** access(2) for modes other than W_OK (write access is refused before this is called). */
    default void access(Caller caller, long node, int mask) throws FuseError {
        getattr(caller, node);
    }

    /**
     * Whether {@code node} takes writes at all (PSI trigger files): only then may it be opened for
     * writing, and only then is WRITE passed to {@link #write}. Everything else is refused EROFS
     * before any method here is called.
     */
    default boolean writable(long node) {
        return false;
    }

    /** A write of {@code data} at {@code offset} to a {@link #writable} node; returns the bytes taken. */
    default int write(Caller caller, long node, long fh, long offset, byte[] data) throws FuseError {
        throw FuseError.of(Errno.EROFS);
    }

    /**
     * poll(2) on an open handle: the ready mask (POLLIN... as in poll.h). {@code kh} is the
     * kernel's handle for a later {@link PollNotification}, meaningful when {@code scheduleNotify}:
     * the kernel has a waiter and wants to be told when the answer changes. ENOSYS makes the
     * kernel stop sending POLL for the whole mount and answer every poll itself.
     */
    default int poll(long node, long fh, long kh, boolean scheduleNotify, int events) throws FuseError {
        throw FuseError.of(Errno.ENOSYS);
    }
}
