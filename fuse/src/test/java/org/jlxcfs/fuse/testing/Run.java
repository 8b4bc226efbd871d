package org.jlxcfs.fuse.testing;

import org.jlxcfs.fuse.MountTable;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs real programs for tests, always with a time limit; a process that overruns is killed with its children. */
public final class Run {
    private Run() {}

    public record Result(int exit, String out, String err) {
        public Result requireSuccess() {
            if (exit != 0) throw new AssertionError("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    /**
     * Skips the test (fails it under CI=true, as {@link RequiresRootAndFuse} does) when
     * {@code program} is not installed; {@code install} says how to install it.
     */
    public static void requireProgram(String program, String install) {
        if (cmd(Duration.ofSeconds(10), "sh", "-c", "command -v " + program).exit() == 0) return;
        String why = program + " is not installed (" + install + ")";
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(why);
        org.junit.jupiter.api.Assumptions.abort(why);
    }

    public static Result cmd(Duration timeout, String... argv) {
        return cmd(timeout, Map.of(), argv);
    }

    public static Result cmd(Duration timeout, Map<String, String> env, String... argv) {
        try {
            Process p = start(env, argv);
            return await(p, timeout, String.join(" ", argv));
        } catch (IOException e) {
            throw new AssertionError("cannot start " + List.of(argv) + ": " + e.getMessage(), e);
        }
    }

    /** A temporary directory other users may enter (tests run readers as other uids, containers bind from it). */
    public static java.nio.file.Path sharedTempDir(String prefix) throws IOException {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(prefix);
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    public static Process start(Map<String, String> env, String... argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    /** Waits for {@code p}, collecting its output; kills it (and its children) if it overruns. */
    public static Result await(Process p, Duration timeout, String what) {
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new AssertionError(what + " did not finish within " + timeout + " (killed)\nstdout so far: "
                        + out.getNow("") + "\nstderr so far: " + err.getNow(""));
            }
            return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (Exception e) {
            kill(p);
            throw new AssertionError(what + ": " + e, e);
        }
    }

    public static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /**
     * Removes a test's temp directory and everything in it, unless something is still mounted
     * inside (then it is left, with a line saying so: deleting through a mount would empty the
     * mounted filesystem). Never fails a test.
     */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            String prefix = dir.toRealPath() + "/";
            for (MountTable.Mount m : MountTable.read()) {
                if ((m.mountPoint() + "/").startsWith(prefix)) {
                    System.err.println("leaving " + dir + ": " + m.mountPoint() + " is still mounted");
                    return;
                }
            }
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not remove " + dir + ": " + e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    /** A TCP port free at the time of the call (for servers a test starts in another process). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
