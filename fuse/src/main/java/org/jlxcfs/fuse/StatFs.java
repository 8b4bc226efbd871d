package org.jlxcfs.fuse;

/** The answer to STATFS (struct fuse_kstatfs). */
public record StatFs(long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
                     int blockSize, int nameMax) {
    public static final StatFs EMPTY = new StatFs(0, 0, 0, 0, 0, 4096, 255);
}
