package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Podman for tests, without a registry: the containers.conf this machine needs (runc, cgroupfs),
 * a busybox image made offline, containers with jlxcfs files mounted with -v as the LXCFS recipes
 * do. Everything it creates (containers, the image) is removed on close, and nothing else.
 */
final class PodmanHarness implements AutoCloseable {
    static final Duration T = Duration.ofSeconds(120);
    final Map<String, String> env;
    private final Path dir;
    private final List<String> containers = new ArrayList<>();
    private final List<String> images = new ArrayList<>();

    private PodmanHarness(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    /** Podman configured in {@code dir} (a directory of the test's own). */
    static PodmanHarness create(Path dir) throws IOException {
        Run.requireProgram("podman", "apt-get install podman runc");
        // crun refuses hybrid cgroups; no CAP_SYS_RESOURCE for default ulimits here
        Path conf = Files.writeString(dir.resolve("containers.conf"), """
                [containers]
                default_ulimits = []
                [engine]
                runtime = "runc"
                cgroup_manager = "cgroupfs"
                events_logger = "file"
                """);
        return new PodmanHarness(dir, Map.of("CONTAINERS_CONF", conf.toString()));
    }

    /**
     * A busybox image: /bin holds the static busybox and a link per applet, as the busybox images
     * are made. /lib and /lib64 point into /usr, so that a container given the host's /usr (-v
     * /usr:/usr:ro) can also run the host's python3 and coreutils by their /usr paths.
     */
    String busyboxImage() throws IOException {
        Run.requireProgram("busybox", "apt-get install busybox-static");
        Path busybox = Path.of(Run.cmd(T, "sh", "-c", "command -v busybox").requireSuccess().out().strip()).toRealPath();
        // a dynamic busybox would need the host's libraries in the image
        if (Run.cmd(T, "sh", "-c", "ldd " + busybox + " 2>&1").out().contains("=>")) {
            throw new AssertionError(busybox + " is not statically linked (apt-get install busybox-static)");
        }
        Path root = dir.resolve("busybox-rootfs");
        for (String d : List.of("bin", "proc", "sys", "dev", "etc", "tmp", "usr", "run")) Files.createDirectories(root.resolve(d));
        Files.copy(busybox, root.resolve("bin/busybox"));
        for (String applet : Run.cmd(T, busybox.toString(), "--list").requireSuccess().out().split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox")) Files.createSymbolicLink(root.resolve("bin/" + applet), Path.of("busybox"));
        }
        for (String l : List.of("lib", "lib64")) Files.createSymbolicLink(root.resolve(l), Path.of("usr/" + l));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
        Path tar = dir.resolve("busybox-rootfs.tar");
        Run.cmd(T, "tar", "-C", root.toString(), "-cf", tar.toString(), ".").requireSuccess();
        String image = "localhost/jlxcfs-test-busybox:" + UUID.randomUUID().toString().substring(0, 8);
        images.add(image);
        Run.cmd(T, env, "podman", "import", "-q", tar.toString(), image).requireSuccess();
        return image;
    }

    /**
     * {@code podman run --rm} of {@code argv} in {@code image}, the jlxcfs files of {@code mount}
     * in LiveContainer.BOUND mounted over the container's own; {@code options} go before the image.
     */
    Run.Result run(Path mount, String image, List<String> options, String... argv) {
        String name = "jlxcfs-test-" + UUID.randomUUID().toString().substring(0, 8);
        containers.add(name);
        List<String> cmd = new ArrayList<>(List.of("podman", "run", "--rm", "--runtime", "runc", "--name", name));
        for (String f : LiveContainer.BOUND) cmd.addAll(List.of("-v", mount.resolve(f) + ":/" + f + ":ro"));
        cmd.addAll(options);
        cmd.add(image);
        cmd.addAll(List.of(argv));
        return Run.cmd(T, env, cmd.toArray(String[]::new));
    }

    @Override
    public void close() {
        for (String c : containers) Run.cmd(T, env, "podman", "rm", "-f", "-t", "0", "--ignore", c);
        for (String i : images) Run.cmd(T, env, "podman", "rmi", "-f", i);
    }
}
