package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A container made of real kernel parts, without a runtime: its own cgroups (created here,
 * removed on close), its own pid and mount namespaces (unshare), jlxcfs files bind-mounted over
 * /proc/... and /sys/devices/system/cpu/online inside, and a long-lived init. Commands run inside
 * through nsenter, as `docker exec` would. Works on v1, hybrid and v2 hosts.
 */
final class LiveContainer implements AutoCloseable {
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    static final List<String> BOUND = List.of("proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime", "proc/loadavg",
            "proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online");

    private final String name = "jlxcfs-test-" + UUID.randomUUID().toString().substring(0, 8);
    /** Cgroup directory per hierarchy mount, created by us. */
    private final Map<Path, Path> cgroups = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private int initPid = -1;

    static boolean unifiedOnly() {
        return Files.exists(CGROUP_ROOT.resolve("cgroup.controllers"));
    }

    /** Creates the cgroups: memory limit in bytes (0: none), CPU quota in CPUs (0: none), cpuset (null: all). */
    LiveContainer(long memoryLimit, double cpus, String cpuset) throws IOException {
        if (unifiedOnly()) {
            Path dir = mkdir(CGROUP_ROOT);
            write(CGROUP_ROOT.resolve("cgroup.subtree_control"), "+memory +cpu +cpuset +io +pids", true);
            if (memoryLimit > 0) write(dir.resolve("memory.max"), String.valueOf(memoryLimit), false);
            if (cpus > 0) write(dir.resolve("cpu.max"), (long) (cpus * 100000) + " 100000", false);
            if (cpuset != null) write(dir.resolve("cpuset.cpus"), cpuset, false);
        } else {
            Path mem = mkdir(CGROUP_ROOT.resolve("memory"));
            if (memoryLimit > 0) write(mem.resolve("memory.limit_in_bytes"), String.valueOf(memoryLimit), false);
            Path cpu = mkdir(CGROUP_ROOT.resolve("cpu"));
            if (cpus > 0) {
                write(cpu.resolve("cpu.cfs_period_us"), "100000", false);
                write(cpu.resolve("cpu.cfs_quota_us"), String.valueOf((long) (cpus * 100000)), false);
            }
            mkdir(CGROUP_ROOT.resolve("cpuacct"));
            Path set = mkdir(CGROUP_ROOT.resolve("cpuset"));
            write(set.resolve("cpuset.mems"), Files.readString(CGROUP_ROOT.resolve("cpuset/cpuset.mems")).strip(), false);
            write(set.resolve("cpuset.cpus"), cpuset != null ? cpuset
                    : Files.readString(CGROUP_ROOT.resolve("cpuset/cpuset.cpus")).strip(), false);
            for (String other : List.of("blkio", "pids", "unified")) {
                if (Files.isDirectory(CGROUP_ROOT.resolve(other))) mkdir(CGROUP_ROOT.resolve(other));
            }
        }
    }

    private Path mkdir(Path hierarchy) throws IOException {
        Path dir = hierarchy.resolve(name);
        Files.createDirectory(dir);
        cgroups.put(hierarchy, dir);
        return dir;
    }

    private static void write(Path file, String value, boolean bestEffort) throws IOException {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            if (!bestEffort) throw new IOException("writing '" + value + "' to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the container's init in the cgroups and new pid and mount namespaces, with the
     * jlxcfs files under {@code jlxcfs} bind-mounted over the container's own (none when null).
     */
    LiveContainer start(Path jlxcfs) throws Exception {
        StringBuilder join = new StringBuilder();
        for (Path dir : cgroups.values()) join.append("echo $$ > '").append(dir.resolve("cgroup.procs")).append("' && ");
        StringBuilder binds = new StringBuilder();
        for (String f : jlxcfs == null ? List.<String>of() : BOUND) {
            binds.append("mount --bind '").append(jlxcfs.resolve(f)).append("' /").append(f).append(" && ");
        }
        String inner = binds + "echo ready && exec sleep 100000";
        Process p = Run.start(Map.of(), "sh", "-c", join + "exec unshare --pid --fork --kill-child --mount --mount-proc "
                + "--propagation private sh -c \"" + inner + "\"");
        processes.add(p);
        for (int i = 0; i < 500 && initPid < 0; i++) {
            for (ProcessHandle d : p.descendants().toList()) {
                String status = readOrEmpty(Path.of("/proc/" + d.pid() + "/status"));
                if (status.contains("\nNSpid:") && status.matches("(?s).*\nNSpid:\\s+\\d+\\s+1\n.*")
                        && readOrEmpty(Path.of("/proc/" + d.pid() + "/cmdline")).startsWith("sleep")) {
                    initPid = (int) d.pid();
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("container init failed: " + new String(p.getErrorStream().readAllBytes()));
            }
            Thread.sleep(20);
        }
        if (initPid < 0) throw new AssertionError("container init did not start");
        return this;
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** CPU time the container's cgroup has used (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
    long cpuUsageNanos() throws IOException {
        if (unifiedOnly()) {
            for (String line : Files.readAllLines(cgroups.get(CGROUP_ROOT).resolve("cpu.stat"))) {
                if (line.startsWith("usage_usec ")) return Long.parseLong(line.substring(11).strip()) * 1000;
            }
            throw new IOException("no usage_usec in cpu.stat");
        }
        return Long.parseLong(Files.readString(cgroups.get(CGROUP_ROOT.resolve("cpuacct")).resolve("cpuacct.usage")).strip());
    }

    int initPid() {
        return initPid;
    }

    /** Runs a shell command inside the container (its pid, mount namespaces and cgroups). */
    Run.Result exec(String script) {
        return Run.cmd(Duration.ofSeconds(60), "nsenter", "--target", String.valueOf(initPid), "--pid", "--mount",
                "--", "sh", "-c", script);
    }

    /** Starts a long-running command inside; it is killed on close. */
    Process spawn(String script) throws IOException {
        StringBuilder join = new StringBuilder();
        for (Path dir : cgroups.values()) join.append("echo $$ > '").append(dir.resolve("cgroup.procs")).append("'; ");
        Process p = Run.start(Map.of(), "sh", "-c", join + "exec nsenter --target " + initPid
                + " --pid --mount -- sh -c '" + script + "'");
        processes.add(p);
        return p;
    }

    @Override
    public void close() throws Exception {
        processes.forEach(Run::kill);
        for (Process p : processes) p.waitFor();
        // Every process of the cgroups must be gone before they can be removed.
        for (Path dir : cgroups.values()) {
            for (int i = 0; i < 100; i++) {
                String procs = readOrEmpty(dir.resolve("cgroup.procs")).strip();
                if (procs.isEmpty()) break;
                for (String pid : procs.split("\n")) Run.cmd(Duration.ofSeconds(5), "kill", "-9", pid);
                Thread.sleep(50);
            }
        }
        for (Path dir : List.copyOf(cgroups.values()).reversed()) {
            for (int i = 0; i < 100 && Files.exists(dir); i++) {
                try {
                    Files.delete(dir);
                } catch (IOException e) {
                    Thread.sleep(50);
                }
            }
        }
    }
}
