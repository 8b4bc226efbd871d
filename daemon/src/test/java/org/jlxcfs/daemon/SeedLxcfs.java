package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The seed's Kubernetes recipe for LXCFS, played on this machine with the host's Debian
 * {@code lxcfs} binary: one instance of the test's own (its own mount point and pidfile, never the
 * host's /var/lib/lxcfs), started as the recipe's start.sh starts it (unmount what is left at the
 * mount point, clear it, run lxcfs in the foreground as the pod's main process), stopped as a
 * rollout or a crash stops the pod (SIGTERM or SIGKILL), and repaired as its users repair pods:
 * nsenter into each container's mount namespace and bind the fresh files again. Close kills the
 * instance and detaches its mount, nothing else.
 */
final class SeedLxcfs implements AutoCloseable {
    private static final Duration T = Duration.ofSeconds(30);
    final Path mountPoint;
    private final Path pidfile;
    private final Path log;
    private Process process;

    SeedLxcfs(Path mountPoint, Path dir) {
        this.mountPoint = mountPoint;
        this.pidfile = dir.resolve("lxcfs.pid");
        this.log = dir.resolve("lxcfs.log");
    }

    /** start.sh, then waits until the fresh mount answers. */
    void start() throws Exception {
        String m = mountPoint.toString();
        // the seed runs fusermount -u and rm -rf through nsenter into the host; here lxcfs already runs in it
        // a dead mount that is busy (a loaded host can still be finishing the last reads on it) is
        // detached lazily, as a retried fusermount -u -z would; the containers' binds stay dead either way
        String startSh = "umount '" + m + "' 2>/dev/null || umount -l '" + m + "' 2>/dev/null; mountpoint -q '" + m + "' || rm -rf '" + m + "'/*; mkdir -p '" + m
                + "'; exec /usr/bin/lxcfs -f --enable-cfs --pidfile='" + pidfile + "' '" + m + "'";
        process = new ProcessBuilder("sh", "-c", startSh).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + T.toNanos();
        while (true) {
            Optional<MountTable.Mount> mount = MountTable.at(mountPoint);
            if (mount.isPresent() && mount.get().fsType().equals("fuse.lxcfs") && process.isAlive()
                    && Run.cmd(T, "head", "-c1", mountPoint.resolve("proc/uptime").toString()).exit() == 0) {
                return;
            }
            if (!process.isAlive()) throw new AssertionError("lxcfs exited with " + process.exitValue() + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) throw new AssertionError("lxcfs did not serve " + mountPoint + " within " + T + ":\n" + Files.readString(log));
            Thread.sleep(20);
        }
    }

    /** Sends {@code signal} (TERM: libfuse unmounts; KILL: the mount stays, dead) and waits for lxcfs to end. */
    void stop(String signal) throws Exception {
        Run.cmd(T, "kill", "-" + signal, String.valueOf(process.pid())).requireSuccess();
        if (!process.waitFor(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("lxcfs did not end within " + T + " of SIG" + signal);
        }
    }

    /**
     * The users' remount script for one container: for each file, {@code nsenter --mount
     * --target PID} and {@code mount --bind} the fresh file over the dead bind. The container's
     * own mount binary runs, and the source must be visible inside it (the recipe's successors
     * give pods the parent directory with HostToContainer propagation for that).
     */
    void remountInto(long pid, List<String> files) {
        for (String f : files) {
            Run.cmd(T, "nsenter", "--mount", "--target", String.valueOf(pid), "--",
                    "mount", "--bind", mountPoint.resolve(f).toString(), "/" + f).requireSuccess();
        }
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() {
        if (process != null) Run.kill(process);
        try {
            for (int i = 0; i < 10 && MountTable.at(mountPoint).isPresent(); i++) {
                Run.cmd(T, "umount", "-l", mountPoint.toString());
            }
        } catch (IOException e) {
            System.err.println("could not read the mount table to unmount " + mountPoint + ": " + e);
        }
    }
}
