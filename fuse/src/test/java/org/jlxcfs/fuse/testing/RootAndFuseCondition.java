package org.jlxcfs.fuse.testing;

import org.jlxcfs.fuse.Libc;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;

/** See {@link RequiresRootAndFuse}. */
public final class RootAndFuseCondition implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        String missing = missing();
        if (missing == null) return;
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run " + context.getDisplayName() + " but " + missing);
        }
        Assumptions.abort("skipped " + context.getDisplayName() + ": " + missing
                + " (run the suite as root on a machine with /dev/fuse)");
    }

    /** Why FUSE tests cannot run here, or null when they can. */
    public static String missing() {
        if (Libc.getuid() != 0) return "it needs root (uid is " + Libc.getuid() + ")";
        Path fuse = Path.of("/dev/fuse");
        if (!Files.exists(fuse)) return "/dev/fuse does not exist";
        if (!Files.isReadable(fuse) || !Files.isWritable(fuse)) return "/dev/fuse is not readable and writable";
        return null;
    }
}
