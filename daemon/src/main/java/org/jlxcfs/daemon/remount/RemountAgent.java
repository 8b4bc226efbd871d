package org.jlxcfs.daemon.remount;

import org.jlxcfs.fuse.Errno;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.MountTable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Repairs containers whose bind mounts come from a dead jlxcfs or LXCFS mount (every read gives
 * ENOTCONN): finds them through /proc/PID/mountinfo, one process per mount namespace, and binds
 * the same file of the live jlxcfs mount over each stale one inside that namespace. No container
 * runtime CLI, nothing run from the container's filesystem; the bind itself is done by a
 * single-threaded helper (rebind.py, Python on the host) since the kernel refuses setns into a
 * mount namespace to a multi-threaded process such as this JVM.
 *
 * <p>A bind is stale when its type is fuse.jlxcfs or fuse.lxcfs and it is dead: statfs of it,
 * through the container's root (/proc/PID/root/TARGET), fails with ENOTCONN or ECONNABORTED. What
 * is mounted at the LXCFS mount point now says nothing: after {@code fusermount -u} nothing is, and
 * a restarted LXCFS mounts a new device there while the containers keep the dead one.
 */
public final class RemountAgent {
    private static final System.Logger LOG = System.getLogger("jlxcfs.remount");

    /** One stale bind: where it is in the container and the live file to put there. */
    public record Repair(int pid, long mountNamespace, String target, String source) {}

    /** A helper that has not finished by then is killed: it may hang on a mount that does not answer. */
    static final Duration HELPER_TIMEOUT = Duration.ofSeconds(30);
    /** statfs of a bind goes to its server: one that is alive but hung must not hang the agent. */
    private static final Duration STATFS_TIMEOUT = Duration.ofSeconds(5);
    private static final int TIMED_OUT = Integer.MIN_VALUE;

    private final Path proc;
    private final Path mountPoint;
    private final Set<String> formerDevices;
    private final Set<String> lxcfsDevices;
    private List<String> interpreter;
    private Duration helperTimeout = HELPER_TIMEOUT;

    /**
     * @param formerDevices devices ("0:42") of earlier jlxcfs mounts at this mount point: only
     *                      stale jlxcfs binds from those are ours to repair (another jlxcfs
     *                      instance's are not); null repairs every stale jlxcfs bind
     * @param lxcfsDevices  devices of LXCFS mounts whose dead binds to move over to jlxcfs (a host
     *                      leaving LXCFS); empty: none; null: every dead LXCFS bind
     */
    public RemountAgent(Path proc, Path mountPoint, Set<String> formerDevices, Set<String> lxcfsDevices) {
        this.proc = proc;
        this.mountPoint = mountPoint.toAbsolutePath().normalize();
        this.formerDevices = formerDevices;
        this.lxcfsDevices = lxcfsDevices;
    }

    /**
     * Runs the helper with another interpreter (its arguments first, then rebind.py's) and time
     * limit: for tests, and hosts whose python3 is elsewhere.
     */
    public RemountAgent withHelper(List<String> interpreter, Duration timeout) {
        this.interpreter = List.copyOf(interpreter);
        this.helperTimeout = timeout;
        return this;
    }

    /** The file listing the devices of every jlxcfs mount made at a mount point, next to the keeper. */
    public static Path historyFile(Path stateDir, Path mountPoint) {
        return stateDir.resolve("devices" + mountPoint.toAbsolutePath().normalize().toString().replace('/', '_'));
    }

    public static Set<String> readHistory(Path file) throws IOException {
        return Files.exists(file) ? new HashSet<>(Files.readAllLines(file)) : new HashSet<>();
    }

    /** Records the device of the mount now at {@code mountPoint}. */
    public static void remember(Path file, String device) throws IOException {
        Files.createDirectories(file.getParent());
        Set<String> known = readHistory(file);
        if (known.add(device)) Files.writeString(file, device + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** The stale binds of every other mount namespace, each namespace once. */
    public List<Repair> find() throws IOException {
        String liveDevice = null;
        Set<String> liveDevices = new HashSet<>();
        for (MountTable.Mount m : MountTable.read(proc.resolve("self/mountinfo"))) {
            if (!served(m)) continue;
            // a device still mounted in our namespace and answering statfs is alive (e.g. a running LXCFS)
            if (statfs(m.mountPoint()) == 0) liveDevices.add(m.device());
            if (m.mountPoint().equals(mountPoint.toString()) && m.fsType().equals("fuse.jlxcfs")) liveDevice = m.device();
        }
        if (liveDevice == null || !liveDevices.contains(liveDevice)) {
            throw new IOException("no live jlxcfs mount at " + mountPoint + " to take fresh files from");
        }
        long ownNs = namespace((int) ProcessHandle.current().pid());
        Set<Long> seen = new HashSet<>(Set.of(ownNs));
        List<Repair> repairs = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
            for (Path p : pids) {
                int pid;
                long ns;
                List<MountTable.Mount> mounts;
                try {
                    pid = Integer.parseInt(p.getFileName().toString());
                    ns = namespace(pid);
                    if (!seen.add(ns)) continue;
                    mounts = MountTable.read(p.resolve("mountinfo"));
                } catch (IOException | NumberFormatException e) {
                    continue; // exited meanwhile
                }
                // only what a path shows: the topmost mount there (a covered stale one is harmless)
                Map<String, MountTable.Mount> visible = new LinkedHashMap<>();
                for (MountTable.Mount m : mounts) {
                    visible.remove(m.mountPoint());
                    visible.put(m.mountPoint(), m);
                }
                for (MountTable.Mount m : visible.values()) {
                    if (!served(m) || liveDevices.contains(m.device())) continue;
                    boolean jlxcfs = m.fsType().equals("fuse.jlxcfs");
                    if (jlxcfs && formerDevices != null && !formerDevices.contains(m.device())) continue;
                    if (!jlxcfs && lxcfsDevices != null && !lxcfsDevices.contains(m.device())) continue;
                    if (!dead(p, m)) continue;
                    // a bind of one file ("/proc/meminfo") or of the whole tree ("/")
                    Path fresh = mountPoint.resolve(m.root().replaceFirst("^/+", "")).normalize();
                    if (!insideTree(fresh)) {
                        LOG.log(System.Logger.Level.WARNING, "pid " + pid + ": stale " + m.fsType() + " mount at "
                                + m.mountPoint() + " names '" + m.root() + "', which leads out of " + mountPoint + "; left alone");
                        continue;
                    }
                    if (!Files.exists(fresh)) {
                        LOG.log(System.Logger.Level.WARNING, "pid " + pid + ": stale " + m.fsType() + " mount at "
                                + m.mountPoint() + " (" + m.root() + ") has no counterpart in " + mountPoint + "; left alone");
                        continue;
                    }
                    repairs.add(new Repair(pid, ns, m.mountPoint(), fresh.toString()));
                }
            }
        }
        return repairs;
    }

    /**
     * The root a mount shows comes from mountinfo, which a container with a FUSE server of its own
     * can shape: the file bound in must be in our tree, reached without a symlink (a link could
     * lead the helper, which resolves it in the host's namespace, to a host path).
     */
    private boolean insideTree(Path fresh) {
        if (!fresh.startsWith(mountPoint)) return false;
        try {
            return fresh.toRealPath().equals(mountPoint.toRealPath().resolve(mountPoint.relativize(fresh)));
        } catch (IOException e) {
            return true; // missing: reported as having no counterpart
        }
    }

    private static boolean served(MountTable.Mount m) {
        return m.fsType().equals("fuse.jlxcfs") || m.fsType().equals("fuse.lxcfs");
    }

    /**
     * Whether the bind at {@code m} in the namespace of the process at {@code pidDir} is dead: its
     * server is gone (ENOTCONN) or its connection was aborted (ECONNABORTED). The path is walked
     * from the process's root, so it reaches the container's mount, whatever ours shows there.
     */
    private boolean dead(Path pidDir, MountTable.Mount m) {
        String inside = pidDir.resolve("root").toString() + m.mountPoint();
        int r = statfs(inside);
        if (r == -Errno.ENOTCONN || r == -Errno.ECONNABORTED) return true;
        if (r == TIMED_OUT) {
            LOG.log(System.Logger.Level.WARNING, "pid " + pidDir.getFileName() + ": " + m.fsType() + " mount at " + m.mountPoint()
                    + " did not answer statfs within " + STATFS_TIMEOUT.toSeconds() + " s (hung, not dead); left alone");
        } else if (r != 0) {
            LOG.log(System.Logger.Level.DEBUG, "statfs " + inside + ": " + Errno.describe(-r) + "; left alone");
        }
        return false;
    }

    /** statfs(2) of {@code path}: 0, -errno, or TIMED_OUT when the server does not answer in time. */
    private static int statfs(String path) {
        int[] result = {TIMED_OUT};
        // a thread of its own: a hung server blocks it in the kernel, where no interrupt reaches it
        Thread t = Thread.ofPlatform().daemon().name("remount-statfs").start(() -> result[0] = Libc.statfs(path));
        try {
            if (!t.join(STATFS_TIMEOUT)) return TIMED_OUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return TIMED_OUT;
        }
        return result[0];
    }

    /**
     * Applies the repairs, one helper per namespace; returns the helper's lines ("FIXED target <-
     * source", "FAILED ..."). A helper still running after the time limit is killed, and its
     * targets are reported FAILED with the reason.
     */
    public List<String> repair(List<Repair> repairs) throws IOException, InterruptedException {
        Map<Integer, List<Repair>> byPid = new LinkedHashMap<>();
        for (Repair r : repairs) byPid.computeIfAbsent(r.pid(), k -> new ArrayList<>()).add(r);
        Path script = Files.createTempFile("jlxcfs-rebind", ".py");
        Path output = Files.createTempFile("jlxcfs-rebind", ".out");
        try (InputStream in = RemountAgent.class.getResourceAsStream("rebind.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> lines = new ArrayList<>();
        try {
            for (var e : byPid.entrySet()) {
                List<String> cmd = new ArrayList<>(interpreter != null ? interpreter : List.of(python()));
                cmd.add(script.toString());
                cmd.add(String.valueOf(e.getKey()));
                for (Repair r : e.getValue()) cmd.addAll(List.of(r.source(), r.target()));
                // output to a file, not a pipe: reading a pipe to its end would wait as long as the helper hangs
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                List<String> out = new ArrayList<>();
                if (!p.waitFor(helperTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    out.addAll(Files.readAllLines(output));
                    for (Repair r : e.getValue()) {
                        if (out.stream().noneMatch(l -> l.startsWith("FIXED " + r.target() + " ") || l.startsWith("FAILED " + r.target() + " "))) {
                            out.add("FAILED " + r.target() + " <- " + r.source() + " the remount helper (pid " + p.pid()
                                    + ") did not finish within " + helperTimeout.toSeconds() + " s and was killed");
                        }
                    }
                } else {
                    out.addAll(Files.readAllLines(output));
                }
                for (String line : out) {
                    if (line.isBlank()) continue;
                    String l = "pid " + e.getKey() + ": " + line;
                    lines.add(l);
                    LOG.log(line.startsWith("FIXED") ? System.Logger.Level.INFO : System.Logger.Level.WARNING, l);
                }
            }
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(output);
        }
        return lines;
    }

    private static String python() throws IOException {
        for (String p : List.of("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3")) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        throw new IOException("the remount agent needs python3 on the host (apt-get install python3-minimal)");
    }

    private long namespace(int pid) throws IOException {
        String link = Files.readSymbolicLink(proc.resolve(pid + "/ns/mnt")).toString();
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
    }
}
