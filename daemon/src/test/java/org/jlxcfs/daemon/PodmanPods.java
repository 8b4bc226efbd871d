package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kubernetes Pods under {@code podman kube play}, offline. A pod needs an infra ("pause")
 * container, which podman 4.3 otherwise builds from catatonit: here it is the pod image itself,
 * busybox with a PATH (an imported image has none, and kube play, unlike podman run, adds none)
 * and {@code sleep} as its command. The pods and that image are removed on close, nothing else.
 */
final class PodmanPods implements AutoCloseable {
    private final Map<String, String> env;
    final String image;
    private final List<String> pods = new ArrayList<>();

    private PodmanPods(Map<String, String> env, String image) {
        this.env = env;
        this.image = image;
    }

    /** Pods from {@code busyboxImage} (of {@code podman}), configured in {@code dir}. */
    static PodmanPods create(PodmanHarness podman, String busyboxImage, Path dir) throws IOException {
        String image = "localhost/jlxcfs-test-pod:" + UUID.randomUUID().toString().substring(0, 8);
        Path context = Files.createDirectories(dir.resolve("pod-image"));
        Files.writeString(context.resolve("Containerfile"), "FROM " + busyboxImage + "\nENV PATH=/bin:/usr/bin\n"
                + "CMD [\"sleep\", \"2147483647\"]\n");
        Run.cmd(PodmanHarness.T, podman.env, "podman", "build", "-q", "--pull=never", "-t", image, context.toString())
                .requireSuccess();
        // the harness's containers.conf, with this image as the infra image
        String conf = Files.readString(Path.of(podman.env.get("CONTAINERS_CONF")));
        if (!conf.contains("[engine]\n")) throw new AssertionError("no [engine] table in " + podman.env.get("CONTAINERS_CONF"));
        Path podsConf = Files.writeString(dir.resolve("containers-pods.conf"),
                conf.replace("[engine]\n", "[engine]\ninfra_image = \"" + image + "\"\n"));
        return new PodmanPods(Map.of("CONTAINERS_CONF", podsConf.toString()), image);
    }

    /** {@code podman kube play} of the Pod in {@code yaml} (JSON is YAML), named {@code name}, without a network. */
    void play(String name, Path yaml) {
        pods.add(name);
        Run.cmd(PodmanHarness.T, env, "podman", "kube", "play", "--network", "none", yaml.toString()).requireSuccess();
    }

    /** Runs {@code sh -c script} in container {@code container} of pod {@code pod}. */
    Run.Result exec(String pod, String container, String script) {
        return Run.cmd(PodmanHarness.T, env, "podman", "exec", pod + "-" + container, "sh", "-c", script);
    }

    @Override
    public void close() {
        // -t 0: sleep, pid 1 of both containers, ignores SIGTERM
        for (String pod : pods) Run.cmd(PodmanHarness.T, env, "podman", "pod", "rm", "-f", "-t", "0", "--ignore", pod);
        Run.cmd(PodmanHarness.T, env, "podman", "rmi", "-f", "--ignore", image);
    }
}
