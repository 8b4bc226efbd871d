package org.jlxcfs.daemon.keeper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * How a daemon was started: its command line exactly as /proc/PID/cmdline holds it (NUL-separated
 * bytes) and its working directory. The keeper records it from a verified PUT, and only ever runs
 * what it recorded so (restarts, `jlxcfs restart`).
 */
public record DaemonCommand(byte[] cmdline, String cwd) {

    /** The calling process's own command line and working directory. */
    public static DaemonCommand self() throws IOException {
        return of((int) ProcessHandle.current().pid());
    }

    /** What the kernel says process {@code pid} runs, and where. */
    public static DaemonCommand of(int pid) throws IOException {
        byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
        String cwd = Path.of("/proc/" + pid + "/cwd").toRealPath().toString();
        return new DaemonCommand(cmdline, cwd);
    }

    public List<String> argv() {
        List<String> argv = new ArrayList<>();
        for (String a : new String(cmdline, StandardCharsets.UTF_8).split("\0")) argv.add(a);
        return argv;
    }

    /** Wire form: base64, since a command line may hold newlines. */
    public String encodedCmdline() {
        return Base64.getEncoder().encodeToString(cmdline);
    }

    public String encodedCwd() {
        return Base64.getEncoder().encodeToString(cwd.getBytes(StandardCharsets.UTF_8));
    }

    public static DaemonCommand decode(String cmdline, String cwd) {
        return new DaemonCommand(Base64.getDecoder().decode(cmdline),
                new String(Base64.getDecoder().decode(cwd), StandardCharsets.UTF_8));
    }

    public boolean sameAs(DaemonCommand other) {
        return Arrays.equals(cmdline, other.cmdline) && cwd.equals(other.cwd);
    }

    @Override
    public String toString() {
        String s = String.join(" ", argv());
        return (s.length() > 200 ? s.substring(0, 200) + "..." : s) + " (in " + cwd + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DaemonCommand d && sameAs(d);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(cmdline) * 31 + cwd.hashCode();
    }
}
