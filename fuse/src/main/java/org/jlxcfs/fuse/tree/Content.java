package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.FuseError;

import java.nio.charset.StandardCharsets;

/** What a file of a {@link VirtualTree} holds. */
public sealed interface Content {

    /** The same bytes for everyone: served with a real size and through the page cache. */
    record Fixed(byte[] bytes) implements Content {}

    /**
     * Bytes rendered for the caller at each read from offset 0 (size 0 and direct I/O, like
     * /proc): later reads of the same open file continue that rendering.
     */
    non-sealed interface Rendered extends Content {
        byte[] render(Caller caller) throws FuseError;
    }

    /**
     * A rendered file that also takes a write and answers poll(2) per open handle, as the
     * kernel's PSI files do. Handles are those {@link VirtualTree} gives its rendered files.
     */
    interface Pollable extends Rendered {
        /** The handle {@code fh} was opened with {@code flags} (write access among them or not). */
        void opened(Caller caller, long fh, int flags) throws FuseError;

        /** A write at {@code offset} on a handle opened for writing; returns the bytes taken. */
        int write(Caller caller, long fh, long offset, byte[] data) throws FuseError;

        /** The poll mask of {@code fh} (see {@link org.jlxcfs.fuse.FuseFileSystem#poll}). */
        int poll(long fh, long kh, boolean scheduleNotify, int events);

        /** The kernel is done with {@code fh}; must not fail. */
        void released(long fh);
    }

    static Content of(String text) {
        return new Fixed(text.getBytes(StandardCharsets.UTF_8));
    }

    static Content of(byte[] bytes) {
        return new Fixed(bytes.clone());
    }

    static Content rendered(Rendered renderer) {
        return renderer;
    }
}
