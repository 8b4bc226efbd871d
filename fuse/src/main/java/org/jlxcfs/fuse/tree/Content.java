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
