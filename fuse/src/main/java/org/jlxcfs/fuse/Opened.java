package org.jlxcfs.fuse;

/**
 * The answer to OPEN or OPENDIR.
 *
 * @param fh        the file handle the kernel hands back on READ and RELEASE; it must mean the
 *                  same to a successor process (or be recognisably unknown to it)
 * @param openFlags FOPEN_* bits, e.g. {@link #DIRECT_IO} for content rendered per read
 */
public record Opened(long fh, int openFlags) {
    public static final int DIRECT_IO = 1, KEEP_CACHE = 2, NONSEEKABLE = 4, CACHE_DIR = 8, STREAM = 16,
            NOFLUSH = 32;
}
