package org.jlxcfs.fuse;

/**
 * The answer to LOOKUP (and, through its attributes, GETATTR): a node and how long the kernel
 * may cache the name and the attributes. Anything that differs between callers must have no
 * cache time, since the kernel shares cached entries among all callers.
 */
public record Entry(Attr attr, long entryTtlNanos, long attrTtlNanos) {
    public long nodeId() {
        return attr.ino();
    }
}
