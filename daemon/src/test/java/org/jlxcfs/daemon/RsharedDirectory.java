package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A test's own stand-in for a node's {@code /var/lib}: a directory bind-mounted onto itself and
 * made rshared, so that a FUSE mount made below it inside a container (given it with
 * {@code :rshared}, as a DaemonSet gives it with {@code mountPropagation: Bidirectional}) appears
 * on the host and in every other container given it. Close detaches it with everything mounted
 * below it (lazily: a dead FUSE mount cannot be unmounted otherwise) and nothing else.
 */
final class RsharedDirectory implements AutoCloseable {
    private static final Duration T = Duration.ofSeconds(30);
    final Path path;

    private RsharedDirectory(Path path) {
        this.path = path;
    }

    static RsharedDirectory create(Path path) throws IOException {
        Files.createDirectories(path);
        RsharedDirectory dir = new RsharedDirectory(path.toRealPath());
        Run.cmd(T, "mount", "--bind", dir.path.toString(), dir.path.toString()).requireSuccess();
        try {
            Run.cmd(T, "mount", "--make-rshared", dir.path.toString()).requireSuccess();
        } catch (AssertionError e) {
            dir.close();
            throw e;
        }
        return dir;
    }

    /** Whether something is still mounted at or below this directory. */
    boolean mounted() throws IOException {
        for (MountTable.Mount m : MountTable.read()) {
            if (m.mountPoint().equals(path.toString()) || m.mountPoint().startsWith(path + "/")) return true;
        }
        return false;
    }

    @Override
    public void close() {
        try {
            // a lazy unmount of the directory detaches what is below it too; the loop catches mounts
            // that propagated back from a container while the previous round ran
            for (int i = 0; i < 10 && mounted(); i++) {
                for (MountTable.Mount m : MountTable.read().reversed()) {
                    if (m.mountPoint().startsWith(path + "/")) Run.cmd(T, "umount", "-l", m.mountPoint());
                }
                Run.cmd(T, "umount", "-l", path.toString());
            }
            if (mounted()) System.err.println("could not unmount everything at " + path);
        } catch (IOException e) {
            System.err.println("could not read the mount table to unmount " + path + ": " + e);
        }
    }
}
