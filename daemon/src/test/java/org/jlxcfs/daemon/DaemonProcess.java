package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A jlxcfs daemon in its own process (signals and exit codes are only real that way); always killed on close. */
final class DaemonProcess implements AutoCloseable {
    final Process process;
    final Path mountPoint;
    final Path log;
    /** Set once it served: only then can a dead mount at the mount point be this daemon's. */
    private boolean served;

    private DaemonProcess(Process process, Path mountPoint, Path log) {
        this.process = process;
        this.mountPoint = mountPoint;
        this.log = log;
    }

    /** Starts {@code java ... org.jlxcfs.daemon.Main args}, with this test's classpath. */
    static DaemonProcess start(Path mountPoint, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        // the keeper is tested where asked for; elsewhere a killed daemon must leave a dead mount
        if (!List.of(args).contains("--keeper-socket")) {
            cmd.addAll(List.of("--no-keeper", "--no-remount", "--keeper-socket", log.resolveSibling("state/keeper.sock").toString()));
        }
        cmd.add(mountPoint.toString());
        return launch(cmd, mountPoint, log);
    }

    static DaemonProcess launch(List<String> cmd, Path mountPoint, Path log) throws IOException {
        return launch(cmd, Map.of(), mountPoint, log);
    }

    static DaemonProcess launch(List<String> cmd, Map<String, String> env, Path mountPoint, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        return new DaemonProcess(pb.start(), mountPoint, log);
    }

    /**
     * Like {@link #start}, but with the JVM options and environment of {@code bin/jlxcfs} (the
     * bounded heap, serial GC, ExitOnOutOfMemoryError ...), read from the script itself so that a
     * test of memory use or of resource exhaustion follows what is shipped. The classpath is still
     * this test's: the jar bin/jlxcfs runs is only built after the tests.
     */
    static DaemonProcess startAsShipped(Path mountPoint, Path log, String... args) throws IOException {
        return startAsShipped(mountPoint, log, null, args);
    }

    /** As {@link #startAsShipped(Path, Path, String...)}, held by the keeper at {@code keeperSocket} (null: none). */
    static DaemonProcess startAsShipped(Path mountPoint, Path log, Path keeperSocket, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(shippedJvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        if (keeperSocket == null) cmd.addAll(List.of("--no-keeper", "--keeper-socket", log.resolveSibling("state/keeper.sock").toString()));
        else cmd.addAll(List.of("--keeper-socket", keeperSocket.toString()));
        cmd.add("--no-remount");
        cmd.add(mountPoint.toString());
        java.util.regex.Matcher arenas = java.util.regex.Pattern.compile("export MALLOC_ARENA_MAX=\\$\\{MALLOC_ARENA_MAX:-(\\d+)}")
                .matcher(Files.readString(binJlxcfs()));
        return launch(cmd, arenas.find() ? Map.of("MALLOC_ARENA_MAX", arenas.group(1)) : Map.of(), mountPoint, log);
    }

    /** The options bin/jlxcfs gives the daemon's java: the "-..." words of its exec line, up to the classpath. */
    static List<String> shippedJvmOptions() throws IOException {
        return shippedJvmOptions(false);
    }

    /**
     * The same for the daemon, or for {@code jlxcfs webhook}, which bin/jlxcfs runs with options of its own
     * (a larger heap): the webhook's exec line is the first, inside its branch, the daemon's the last.
     */
    static List<String> shippedJvmOptions(boolean webhook) throws IOException {
        String script = Files.readString(binJlxcfs());
        String line = "exec \"$JAVA_HOME/bin/java\"";
        int branch = script.indexOf("if [ \"${1:-}\" = webhook ]");
        if (branch < 0) throw new AssertionError("no webhook branch in " + binJlxcfs());
        int exec = webhook ? script.indexOf(line, branch) : script.lastIndexOf(line);
        if (webhook && exec == script.lastIndexOf(line)) throw new AssertionError("the webhook and the daemon share an exec line in " + binJlxcfs());
        int cp = script.indexOf("-cp ", exec);
        if (exec < 0 || cp < 0) throw new AssertionError("no java exec line in " + binJlxcfs());
        List<String> options = new ArrayList<>();
        for (String word : script.substring(exec, cp).split("[\\s\\\\]+")) {
            if (word.startsWith("-")) options.add(word);
            // "${name[@]}": a bash array of options, defined once as name=(...) (aot_opts stays empty:
            // a cache made for bin/jlxcfs's class path would not fit the test's)
            java.util.regex.Matcher array = java.util.regex.Pattern.compile("\"\\$\\{(\\w+)\\[@]}\"").matcher(word);
            if (array.matches()) {
                java.util.regex.Matcher def = java.util.regex.Pattern.compile("(?m)^" + array.group(1) + "=\\(([^)]*)\\)").matcher(script);
                if (!def.find()) throw new AssertionError("no " + array.group(1) + "=(...) in " + binJlxcfs());
                for (String w : def.group(1).split("[\\s\\\\]+")) if (w.startsWith("-")) options.add(w);
            }
        }
        if (options.stream().noneMatch(o -> o.startsWith("-Xmx"))) throw new AssertionError("no -Xmx in " + binJlxcfs() + ": " + options);
        return options;
    }

    private static Path binJlxcfs() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("bin/jlxcfs"))) return dir.resolve("bin/jlxcfs");
        }
        throw new AssertionError("bin/jlxcfs not found above " + Path.of("").toAbsolutePath());
    }

    /** Starts {@code jlxcfs keeper --socket SOCKET extra...} in its own process (killed by {@link #killKeeper}). */
    static Process keeper(Path socket, Path log, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx32m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "keeper", "--socket", socket.toString()));
        cmd.addAll(List.of(extra));
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        for (int i = 0; i < 1200 && !new org.jlxcfs.daemon.keeper.KeeperClient(socket).available(); i++) {
            if (!p.isAlive()) throw new AssertionError("keeper exited " + p.exitValue() + ": " + Files.readString(log));
            Thread.sleep(50);
        }
        return p;
    }

    /**
     * SIGKILLs every jlxcfs process whose command line holds {@code marker} (a test's own temp
     * path, so only processes this test started, directly or through a keeper or `restart`).
     */
    static void killAll(String marker) throws IOException {
        long self = ProcessHandle.current().pid();
        for (int round = 0; round < 3; round++) {
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                    String cmdline;
                    try {
                        cmdline = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    } catch (IOException e) {
                        continue;
                    }
                    long pid = Long.parseLong(p.getFileName().toString());
                    if (pid != self && cmdline.contains("org.jlxcfs.daemon.Main") && cmdline.contains(marker)) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
    }

    /** Waits until {@code relative} is readable through the mount (as another process sees it). */
    DaemonProcess awaitServing(String relative) throws Exception {
        // generous: a JVM starts 15 to 40 times slower in the emulated cgroup v2 VM
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("daemon exited " + process.exitValue() + ":\n" + log());
            if (MountTable.at(mountPoint).isPresent()
                    && Run.cmd(Duration.ofSeconds(10), "cat", mountPoint.resolve(relative).toString()).exit() == 0) {
                served = true;
                return this;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("daemon did not serve " + relative + " within 120 s:\n" + log());
    }

    /** Kills the keeper listening on {@code socket} (checked by its command line, never another process). */
    static void killKeeper(Path socket) throws IOException {
        Path pidFile = socket.resolveSibling("keeper.pid");
        if (!Files.exists(pidFile)) return;
        String pid = Files.readString(pidFile).strip();
        Path cmdline = Path.of("/proc/" + pid + "/cmdline");
        if (Files.exists(cmdline) && Files.readString(cmdline).contains(socket.toString())) {
            Run.cmd(Duration.ofSeconds(5), "kill", "-9", pid);
        }
    }

    /** Waits until the log has a line containing {@code text}. */
    DaemonProcess awaitLog(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log().contains(text)) {
            if (!process.isAlive()) throw new AssertionError("daemon exited " + process.exitValue() + ":\n" + log());
            if (System.nanoTime() > deadline) throw new AssertionError("no '" + text + "' within " + timeout + ":\n" + log());
            Thread.sleep(20);
        }
        return this;
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("daemon did not exit within " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    void signal(String name) {
        Run.cmd(Duration.ofSeconds(5), "kill", "-" + name, String.valueOf(process.pid())).requireSuccess();
    }

    String log() {
        return readLog(log);
    }

    /** A child's log file as text, or why there is none (for assertion messages). */
    static String readLog(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // A killed daemon leaves a dead mount: remove it so nothing stale outlives the test.
        // A live one belongs to another daemon of the test, which cleans up after itself.
        while (served && MountTable.at(mountPoint).filter(m -> m.fsType().equals("fuse.jlxcfs")).isPresent()
                && Run.cmd(Duration.ofSeconds(10), "stat", "-f", mountPoint.toString()).err().contains("not connected")) {
            Run.cmd(Duration.ofSeconds(10), "umount", "-l", mountPoint.toString());
        }
    }
}
