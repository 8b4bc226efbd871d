package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every error a user can cause at the command line: one line naming the cause, no stack trace, nothing started. */
class CommandLineErrorsTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();

    @TempDir
    Path tmp;

    /** The real CLI, run from {@code dir}, optionally as another user (setpriv) with a classpath it can read. */
    private Run.Result jlxcfs(Path dir, List<String> asUser, String classpath, String... args) {
        List<String> cmd = new ArrayList<>(asUser);
        cmd.addAll(List.of(JAVA, "--enable-native-access=ALL-UNNAMED", "-cp", classpath, Main.class.getName()));
        cmd.addAll(List.of(args));
        List<String> sh = List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", dir.toString());
        List<String> all = new ArrayList<>(sh);
        all.addAll(cmd);
        return Run.cmd(T, all.toArray(String[]::new));
    }

    private Run.Result jlxcfs(String... args) {
        return jlxcfs(tmp, List.of(), System.getProperty("java.class.path"), args);
    }

    /** Exactly one line on stderr, with {@code parts}, and nothing that looks like a stack trace. */
    private static void oneLine(Run.Result r, int exit, String... parts) {
        assertThat(r.exit()).as(r.err()).isEqualTo(exit);
        assertThat(r.err().lines().toList()).as(r.err()).hasSize(1);
        assertThat(r.err()).contains(parts).doesNotContain("\tat ", "Exception");
    }

    @Test
    void aMistypedCommandIsRefusedWithTheClosestCommandAndMountsNothing() {
        Run.Result r = jlxcfs("restat");
        oneLine(r, 2, "jlxcfs: 'restat' is not a command, and as MOUNTPOINT it must be an absolute path or an existing "
                + "directory; did you mean 'restart'?");
        assertThat(tmp.resolve("restat")).doesNotExist();
        oneLine(jlxcfs("remonut"), 2, "did you mean 'remount'?");
        oneLine(jlxcfs("webhok"), 2, "did you mean 'webhook'?");
        oneLine(jlxcfs("frobnicate"), 2, "'frobnicate' is not a command", "(commands: show, keeper, restart, remount, webhook)");
    }

    @Test
    void mountPointRules() throws Exception {
        // absolute: created if missing (the default /var/lib/jlxcfs); relative: only an existing directory
        assertThat(CliErrors.mountPointRefusal(Path.of("/var/lib/jlxcfs-not-there-yet"))).isEmpty();
        assertThat(CliErrors.mountPointRefusal(Main.DEFAULT_MOUNT_POINT)).isEmpty();
        Path here = Path.of("").toAbsolutePath();
        Files.createDirectories(tmp.resolve("mnt"));
        assertThat(CliErrors.mountPointRefusal(here.relativize(tmp.resolve("mnt")))).isEmpty();
        assertThat(CliErrors.mountPointRefusal(Path.of("mnt-typo"))).isPresent();
        assertThat(CliErrors.closest("shwo", CliErrors.commands())).contains("show");
        assertThat(CliErrors.closest("keper", CliErrors.commands())).contains("keeper");
        assertThat(CliErrors.closest("RESTART", CliErrors.commands())).contains("restart");
        assertThat(CliErrors.closest("x", CliErrors.commands())).isEmpty();
    }

    @Test
    void badOptionsAreOneLine() throws Exception {
        oneLine(jlxcfs("--threads", "0", tmp.resolve("mnt").toString()), 2, "--threads must be between 1 and 64, got 0");
        oneLine(jlxcfs("--thread", "3"), 2, "Unknown option: '--thread'", "did you mean '--threads'?", "see 'jlxcfs --help'");
        oneLine(jlxcfs("--threads", "many"), 2, "'many' is not an int");
        oneLine(jlxcfs("show", "--pdi", "1", "proc/meminfo"), 2, "jlxcfs show: Unknown options: '--pdi'");
        oneLine(jlxcfs("show"), 2, "Missing required parameter: 'PATH'");
        assertThat(MountTable.at(tmp.resolve("mnt"))).isEmpty();
    }

    @Test
    void showNamesTheMissingPidTheUnknownFileAndTheUnreadableCgroups() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        oneLine(jlxcfs("show", "--pid", String.valueOf(gone.pid()), "proc/meminfo"), 1,
                "jlxcfs show: no process " + gone.pid() + " (--pid)");
        oneLine(jlxcfs("show", "proc/memnifo"), 1, "jlxcfs show: 'proc/memnifo' is not a file jlxcfs serves; it serves proc/meminfo");
        oneLine(jlxcfs("show", "--cgroup-root", tmp.resolve("no-cgroups").toString(), "proc/meminfo"), 1,
                "jlxcfs show: cannot find the cgroup hierarchies: no cgroup hierarchy is mounted below " + tmp.resolve("no-cgroups"));
        // and a working one for contrast
        assertThat(jlxcfs("show", "proc/uptime").requireSuccess().out()).matches("\\d+\\.\\d\\d \\d+\\.\\d\\d\n");
    }

    /** Not root (or root without ptrace access over pid 1): /proc/1/ns/pid cannot be read. */
    @Test
    void showForAPidWhoseNamespaceCannotBeReadSaysWhichFile() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root to become nobody");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        // a classpath nobody can read: the jars from root's home copied next to the classes
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jars = Files.createDirectory(tmp.resolve("cp"));
        List<String> cp = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p) && p.startsWith(System.getProperty("user.home"))) {
                Path copy = jars.resolve(cp.size() + "-" + p.getFileName());
                Files.copy(p, copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                cp.add(copy.toString());
            } else {
                cp.add(entry);
            }
        }
        Run.Result r = jlxcfs(tmp, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                String.join(File.pathSeparator, cp), "show", "--pid", "1", "proc/meminfo");
        oneLine(r, 1, "jlxcfs show: cannot find the container of pid 1: cannot read /proc/1/ns/pid: permission denied");
    }

    @Test
    void remountErrorsAreOneLine() throws Exception {
        oneLine(jlxcfs("remount", "--state-dir", tmp.toString(), tmp.resolve("nothing-mounted").toString()), 1,
                "jlxcfs remount: no live jlxcfs mount at " + tmp.resolve("nothing-mounted"));
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        oneLine(jlxcfs("remount", "--state-dir", notADir.toString(), tmp.resolve("m").toString()), 1, "jlxcfs remount: ");
    }
}
