package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Kubernetes node played by podman: the keeper and the daemon as separate containers in the
 * host's pid namespace, with the security contexts of their DaemonSets (the daemon privileged,
 * in the host's cgroup namespace; the keeper with CAP_SYS_PTRACE only). They share a
 * socket directory (the manifests' hostPath {@code /run/jlxcfs}) and the node's {@code /var/lib}
 * (an {@link RsharedDirectory}) at {@code /host/var/lib} with {@code :rshared}; the daemon mounts
 * at {@code /host/var/lib/jlxcfs}, so the host sees the mount at {@code <varLib>/jlxcfs}, never a
 * hostPath of the mount point itself. Removes every container it started on close, and detaches
 * the mount they leave (dead by then), nothing else.
 */
final class SimulatedNode implements AutoCloseable {
    static final Duration T = Duration.ofSeconds(120);
    static final String MOUNT_IN_CONTAINER = "/host/var/lib/jlxcfs";
    static final String SOCKET = "/run/jlxcfs/keeper.sock";

    /** A daemon container and the port of its health server (host network: every daemon has a port of its own). */
    record Daemon(String container, int healthPort, String image) {}

    final Path mountPoint;
    private final Map<String, String> env;
    private final Path varLib;
    private final Path runDir;
    private final String prefix = "jlxcfs-node-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> keepers = new ArrayList<>();
    private final List<String> daemons = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A node whose /var/lib is {@code varLib} and /run/jlxcfs {@code runDir} (created 0700, as the keeper wants it). */
    SimulatedNode(Map<String, String> env, Path varLib, Path runDir) throws IOException {
        this.env = env;
        this.varLib = varLib;
        this.runDir = Files.createDirectories(runDir);
        Files.setPosixFilePermissions(runDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        this.mountPoint = varLib.resolve("jlxcfs");
    }

    /**
     * The keeper DaemonSet's container: {@code jlxcfs keeper --no-restart --give-up-after 60},
     * with the manifest's security context (root, every capability dropped but CAP_SYS_PTRACE for
     * the check of the daemon's /proc/PID/cwd, no privilege escalation, a read-only root, the
     * runtime's default seccomp profile), in the host's pid namespace.
     */
    String startKeeper(String image) {
        String name = prefix + "-keeper-" + keepers.size();
        keepers.add(name);
        podman("run", "-d", "--name", name, "--pid=host", "--network", "none", "--user", "0",
                "--cap-drop", "ALL", "--cap-add", "SYS_PTRACE", "--security-opt", "no-new-privileges", "--read-only",
                "-v", runDir + ":/run/jlxcfs", image,
                "keeper", "--socket=" + SOCKET, "--no-restart", "--give-up-after=60").requireSuccess();
        return name;
    }

    /**
     * The daemon DaemonSet's container, as the manifest runs it: {@code nsenter
     * --cgroup=/proc/1/ns/cgroup -- jlxcfs ...}. Where this machine's pid 1 cannot be entered (a
     * sandbox's init that refuses ptrace-mode access even to the host's root, as on some CI VMs)
     * jlxcfs runs directly: --cgroupns=host gives it the host's cgroup namespace all the same.
     */
    Daemon startDaemon(String image) throws IOException {
        String name = prefix + "-daemon-" + daemons.size();
        daemons.add(name);
        int port = Run.freePort();
        List<String> cmd = new ArrayList<>(List.of("run", "-d", "--name", name, "--privileged", "--pid=host", "--cgroupns=host",
                "--network", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "-v", runDir + ":/run/jlxcfs",
                "-v", varLib + ":/host/var/lib:rshared"));
        if (INIT_CGROUP_NAMESPACE_READABLE) {
            cmd.addAll(List.of("--entrypoint", "nsenter", image, "--cgroup=/proc/1/ns/cgroup", "--", "jlxcfs"));
        } else {
            cmd.add(image);
        }
        cmd.addAll(List.of("--replace", "--on-term=handover", "--keeper-socket=" + SOCKET, "--keeper-wait=120",
                "--health-port=" + port, MOUNT_IN_CONTAINER));
        podman(cmd.toArray(String[]::new)).requireSuccess();
        return new Daemon(name, port, image);
    }

    /** Whether this machine lets its root open /proc/1/ns/cgroup (the manifest's nsenter needs it). */
    static final boolean INIT_CGROUP_NAMESPACE_READABLE = initCgroupNamespaceReadable();

    private static boolean initCgroupNamespaceReadable() {
        try {
            Files.readSymbolicLink(Path.of("/proc/1/ns/cgroup"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits until the daemon's /readyz answers 200 (it serves the mount), as the DaemonSet's
     * readiness probe does; fails with its log when its container stops or {@code timeout} passes.
     */
    void awaitReady(Daemon d, Duration timeout) throws Exception {
        URI readyz = URI.create("http://127.0.0.1:" + d.healthPort() + "/readyz");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (get(d, "/readyz").statusCode() == 200) return;
            } catch (IOException notListening) {
                // the JVM is still starting
            }
            if (!running(d.container())) throw new AssertionError(d.container() + " stopped before " + readyz + " said ready:\n" + logs(d.container()));
            if (System.nanoTime() > deadline) throw new AssertionError(readyz + " not 200 within " + timeout + ":\n" + logs(d.container()));
            Thread.sleep(50);
        }
    }

    /** GET of {@code path} on the daemon's health port. */
    HttpResponse<String> get(Daemon d, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.healthPort() + path))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code podman stop}: SIGTERM (hand over, with --on-term=handover), SIGKILL after {@code seconds}; the exit code. */
    int stop(String container, int seconds) {
        podman("stop", "-t", String.valueOf(seconds), container).requireSuccess();
        return exitCode(container);
    }

    /** SIGKILL, as an OOM kill or a node-pressure eviction past its grace period ends it; the exit code. */
    int kill(String container) throws Exception {
        podman("kill", "-s", "KILL", container).requireSuccess();
        return awaitExit(container, Duration.ofSeconds(60));
    }

    /** Waits for the container to stop by itself; its exit code. */
    int awaitExit(String container, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running(container)) {
            if (System.nanoTime() > deadline) throw new AssertionError(container + " still runs after " + timeout + ":\n" + logs(container));
            Thread.sleep(50);
        }
        return exitCode(container);
    }

    /** {@code podman rm -f -t 0}: the container is gone at once, whatever it was doing. */
    void remove(String container) {
        podman("rm", "-f", "-t", "0", container).requireSuccess();
    }

    boolean running(String container) {
        return podman("inspect", "--format", "{{.State.Running}}", container).out().strip().equals("true");
    }

    int exitCode(String container) {
        return Integer.parseInt(podman("inspect", "--format", "{{.State.ExitCode}}", container).requireSuccess().out().strip());
    }

    String logs(String container) {
        Run.Result r = podman("logs", container);
        return r.out() + r.err();
    }

    /** The host's view of the mount (its id changes only when something mounts afresh). */
    MountTable.Mount mount() throws IOException {
        return MountTable.at(mountPoint).orElseThrow(() -> new AssertionError("nothing is mounted at " + mountPoint));
    }

    Run.Result podman(String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman"));
        cmd.addAll(List.of(args));
        return Run.cmd(T, env, cmd.toArray(String[]::new));
    }


    @Override
    public void close() {
        // daemons first (SIGTERM hands over: nothing unmounts), then the keepers: the connection ends
        for (String d : daemons) Run.cmd(T, env, "podman", "rm", "-f", "-t", "10", "--ignore", d);
        for (String k : keepers) Run.cmd(T, env, "podman", "rm", "-f", "-t", "10", "--ignore", k);
        http.close();
        try {
            for (int i = 0; i < 10 && MountTable.at(mountPoint).isPresent(); i++) {
                Run.cmd(Duration.ofSeconds(10), "umount", "-l", mountPoint.toString());
            }
        } catch (IOException e) {
            System.err.println("could not read the mount table to unmount " + mountPoint + ": " + e);
        }
    }
}
