package org.jlxcfs.fuse;

/**
 * Where a filesystem writes directory entries during READDIR and READDIRPLUS. Entries go
 * straight into the reply buffer; {@link #add} returns false once the next entry would not fit,
 * and the filesystem then stops (the kernel asks again from that entry's offset).
 */
public interface DirectoryListing {
    /**
     * @param name       the entry's name as UTF-8 bytes
     * @param entry      the entry's node (for READDIRPLUS also its cache times)
     * @param nextOffset the offset the kernel passes back to continue after this entry
     * @return false when the reply is full and this entry was not added
     */
    boolean add(byte[] name, Entry entry, long nextOffset);
}
