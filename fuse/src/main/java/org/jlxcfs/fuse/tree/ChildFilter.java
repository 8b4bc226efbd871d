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
}
