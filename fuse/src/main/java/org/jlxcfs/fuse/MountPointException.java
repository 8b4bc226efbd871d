package org.jlxcfs.fuse;

import java.io.IOException;

/** The mount point cannot be used as it is; the message says why and what to do. */
public final class MountPointException extends IOException {
    public MountPointException(String message) {
        super(message);
    }
}
