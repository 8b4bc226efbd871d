package org.jlxcfs.fuse;

/**
 * A node's attributes as FUSE sends them (struct fuse_attr).
 *
 * @param ino   node id (also st_ino)
 * @param mode  file type and permission bits, e.g. {@code 0100444}
 */
public record Attr(long ino, long size, int mode, int nlink, int uid, int gid, long timeSeconds) {
    public static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000;

    public boolean isDirectory() {
        return (mode & 0170000) == S_IFDIR;
    }

    /** The dirent type (DT_DIR, DT_REG, DT_LNK) for READDIR. */
    public int direntType() {
        return (mode & 0170000) >>> 12;
    }
}
