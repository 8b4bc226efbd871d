package org.jlxcfs.daemon.remount;

import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.MountTable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 */
public final class RemountAgent {
    private static final System.Logger LOG = System.getLogger("jlxcfs.remount");

    /** One stale bind: where it is in the container and the live file to put there. */
    public record Repair(int pid, long mountNamespace, String target, String source) {}

    private final Path proc;
    private final Path mountPoint;
    private final Set<String> formerDevices;
    private final Set<String> lxcfsDevices;

    /**
     * @param formerDevices devices ("0:42") of earlier jlxcfs mounts at this mount point: only
     *                      stale jlxcfs binds from those are ours to repair (another jlxcfs
     *                      instance's are not); null repairs every stale jlxcfs bind
     * @param lxcfsDevices  devices of dead LXCFS mounts whose binds to move over to jlxcfs (a host
     *                      leaving LXCFS); empty: none; null: every dead LXCFS bind
     */
    public RemountAgent(Path proc, Path mountPoint, Set<String> formerDevices, Set<String> lxcfsDevices) {
        this.proc = proc;
        this.mountPoint = mountPoint.toAbsolutePath().normalize();
        this.formerDevices = formerDevices;
        this.lxcfsDevices = lxcfsDevices;
    }

    /** The device of the LXCFS mount (live or dead) at {@code path} in our namespace, if any. */
    public static Set<String> lxcfsDeviceAt(Path proc, Path path) throws IOException {
        String p = path.toAbsolutePath().normalize().toString();
        Set<String> devices = new HashSet<>();
        for (MountTable.Mount m : MountTable.read(proc.resolve("self/mountinfo"))) {
            if (m.mountPoint().equals(p) && m.fsType().equals("fuse.lxcfs")) devices.add(m.device());
        }
        return devices;
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
            // a device still mounted in our namespace and answering statfs is alive (e.g. a running LXCFS)
            if (m.fsType().startsWith("fuse.") && Libc.statfs(m.mountPoint()) == 0) liveDevices.add(m.device());
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
                    boolean jlxcfs = m.fsType().equals("fuse.jlxcfs");
                    if (!(jlxcfs || m.fsType().equals("fuse.lxcfs")) || liveDevices.contains(m.device())) continue;
                    if (jlxcfs && formerDevices != null && !formerDevices.contains(m.device())) continue;
                    if (!jlxcfs && lxcfsDevices != null && !lxcfsDevices.contains(m.device())) continue;
                    // a bind of one file ("/proc/meminfo") or of the whole tree ("/")
                    Path fresh = mountPoint.resolve(m.root().replaceFirst("^/+", ""));
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

    /** Applies the repairs, one helper per namespace; returns the helper's lines ("FIXED target <- source"). */
    public List<String> repair(List<Repair> repairs) throws IOException, InterruptedException {
        Map<Integer, List<Repair>> byPid = new LinkedHashMap<>();
        for (Repair r : repairs) byPid.computeIfAbsent(r.pid(), k -> new ArrayList<>()).add(r);
        Path script = Files.createTempFile("jlxcfs-rebind", ".py");
        try (InputStream in = RemountAgent.class.getResourceAsStream("rebind.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> lines = new ArrayList<>();
        try {
            for (var e : byPid.entrySet()) {
                List<String> cmd = new ArrayList<>(List.of(python(), script.toString(), String.valueOf(e.getKey())));
                for (Repair r : e.getValue()) cmd.addAll(List.of(r.source(), r.target()));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
                for (String line : out.split("\n")) {
                    if (line.isBlank()) continue;
                    String l = "pid " + e.getKey() + ": " + line;
                    lines.add(l);
                    LOG.log(line.startsWith("FIXED") ? System.Logger.Level.INFO : System.Logger.Level.WARNING, l);
                }
            }
        } finally {
            Files.deleteIfExists(script);
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
