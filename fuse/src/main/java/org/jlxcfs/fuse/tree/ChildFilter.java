package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.FuseError;

/**
 * Which direct children of a mirrored directory a caller is shown (see
 * {@link VirtualTree.Builder#mirror}); for example the {@code cpuN} directories of the CPUs the
 * caller's container may use. A hidden name is ENOENT on LOOKUP and missing from READDIR for
 * that caller only.
 *
 * <p>Called on every LOOKUP and GETATTR of the directory and for every child on READDIR, from
 * several worker threads at once: it should be cheap. A {@link FuseError} it throws is the
 * request's answer.
 */
@FunctionalInterface
public interface ChildFilter {
    boolean visible(Caller caller, String name) throws FuseError;

    /**
     * The host entry whose content the caller is served under the visible child {@code name}:
     * the same name unless the caller's names differ from the host's (a container's cpu0 may be
     * the host's cpu5). Files and links under it are read from the mapped entry; the tree's
     * shape (which names exist below it) stays the host's entry of the same name.
     */
    default String hostName(Caller caller, String name) throws FuseError {
        return name;
    }
}
