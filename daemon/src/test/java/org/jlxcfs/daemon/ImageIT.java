package org.jlxcfs.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image bin/build-image makes ({@link ProjectImage}): its launcher, its labels, and the
 * daemon, the keeper and the webhook started from it as their manifests start them. Containers
 * are removed after each test, the image at the end of the run.
 */
@RequiresRootAndFuse
class ImageIT {
    private static final Duration T = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> containers = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    private String image;
    private Map<String, String> env;

    @BeforeEach
    void image() throws IOException {
        image = ProjectImage.name();
        env = ProjectImage.podmanEnv();
    }

    @AfterEach
    void removeContainers() {
        for (String c : containers) Run.cmd(T, env, "podman", "rm", "-f", "-t", "0", "--ignore", c);
        dirs.forEach(Run::deleteTree);
    }

    @Test
    void printsItsVersionAndCarriesTheOciLabels() throws Exception {
        String version = ProjectImage.mavenVersion();
        assertThat(podman("run", "--rm", image, "--version").requireSuccess().out().strip()).isEqualTo("jlxcfs " + version);

        JsonNode labels = JSON.readTree(podman("image", "inspect", "--format", "{{json .Labels}}", image).requireSuccess().out());
        assertThat(labels.path("org.opencontainers.image.title").asText()).isEqualTo("jlxcfs");
        assertThat(labels.path("org.opencontainers.image.version").asText()).startsWith(version);
        assertThat(Instant.parse(labels.path("org.opencontainers.image.created").asText())).isBefore(Instant.now().plusSeconds(60));
        Run.Result head = Run.cmd(T, "git", "-C", "..", "rev-parse", "HEAD");
        if (head.exit() == 0) assertThat(labels.path("org.opencontainers.image.revision").asText()).isEqualTo(head.out().strip());
        // the webhook's user exists, so tools and logs show a name for uid 65532
        assertThat(podman("run", "--rm", "--entrypoint", "cat", image, "/etc/passwd").requireSuccess().out())
                .contains("nonroot:x:65532:65532:");
    }

    @Test
    void keeperAnswersHelp() {
        assertThat(podman("run", "--rm", image, "keeper", "--help").requireSuccess().out()).contains("--socket");
    }

    /**
     * As the webhook Deployment runs it: uid 65532, a read-only root (podman gives /tmp a tmpfs,
     * as the Deployment gives it an emptyDir), --self-signed without an API server. /readyz
     * answers, and an AdmissionReview over TLS is answered with a patch: Jackson, TLS and the
     * certificate code all work in the jlink'd runtime.
     */
    @Test
    void webhookServesAsUid65532OnAReadOnlyRoot() throws Exception {
        Path out = Run.sharedTempDir("jlxcfs-image-webhook");
        dirs.add(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        int port = Run.freePort();
        int metricsPort = Run.freePort();
        String name = container();
        podman("run", "-d", "--name", name, "--read-only", "--user", "65532:65532", "--network", "host",
                "-v", out + ":/out", image, "webhook", "--self-signed", "--ca-bundle-out", "/out/ca.pem",
                "--port", String.valueOf(port), "--metrics-port", String.valueOf(metricsPort)).requireSuccess();

        awaitReady(name, URI.create("http://127.0.0.1:" + metricsPort + "/readyz"), out.resolve("ca.pem"));
        assertThat(podman("exec", name, "cat", "/proc/1/status").requireSuccess().out()).containsPattern("(?m)^Uid:\\s+65532\\s");

        String uid = UUID.randomUUID().toString();
        String review = """
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                 "request": {"uid": "%s", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                   "resource": {"group": "", "version": "v1", "resource": "pods"},
                   "namespace": "default", "operation": "CREATE", "userInfo": {"username": "test"},
                   "object": {"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": "app", "namespace": "default", "labels": {"jlxcfs.io/inject": "enabled"}},
                     "spec": {"containers": [{"name": "app", "image": "busybox",
                       "resources": {"limits": {"memory": "256Mi", "cpu": "1"}}}]}}}}
                """.formatted(uid);
        HttpResponse<String> answer;
        try (HttpClient https = ServiceHttpsClient.trusting(out.resolve("ca.pem"), WebhookProcess.SERVICE_DNS_NAME)) {
            answer = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/mutate"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(review)).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode response = JSON.readTree(answer.body()).path("response");
        assertThat(response.path("uid").asText()).isEqualTo(uid);
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(new String(Base64.getDecoder().decode(response.path("patch").asText())))
                .as(answer.body()).contains("/var/lib/jlxcfs/proc/meminfo");
    }

    /**
     * The daemon in a privileged container (as its DaemonSet runs it, here without the host's
     * pid namespace): it starts its keeper with the image's setsid, mounts at a directory of the
     * container, serves /proc/meminfo, and stops cleanly on SIGTERM.
     */
    @Test
    void daemonMountsAndServesInsideTheContainer() throws Exception {
        String name = container();
        podman("run", "-d", "--name", name, "--privileged", "--device", "/dev/fuse", "--network", "none",
                image, "/mnt/jlxcfs").requireSuccess();
        String meminfo = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (meminfo == null) {
            Run.Result r = podman("exec", name, "cat", "/mnt/jlxcfs/proc/meminfo");
            if (r.exit() == 0 && r.out().startsWith("MemTotal:")) meminfo = r.out();
            else if (System.nanoTime() > deadline) throw new AssertionError("no /mnt/jlxcfs/proc/meminfo within 60 s: " + r + "\n" + logs(name));
            else if (!running(name)) throw new AssertionError("the daemon's container stopped:\n" + logs(name));
            else Thread.sleep(100);
        }
        assertThat(meminfo).containsPattern("(?m)^MemTotal:\\s+[1-9][0-9]* kB$").contains("MemAvailable:");
        assertThat(podman("exec", name, "cat", "/proc/self/mountinfo").requireSuccess().out()).contains(" /mnt/jlxcfs ");
        assertThat(logs(name)).contains("started a keeper");

        podman("stop", "-t", "20", name).requireSuccess();
        assertThat(podman("inspect", "--format", "{{.State.ExitCode}}", name).requireSuccess().out().strip())
                .as(logs(name)).isEqualTo("0");
    }

    private void awaitReady(String name, URI readyz, Path caPem) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (true) {
                try {
                    int status = http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200 && Files.isRegularFile(caPem) && Files.size(caPem) > 0) return;
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (!running(name)) throw new AssertionError("the webhook's container stopped:\n" + logs(name));
                if (System.nanoTime() > deadline) throw new AssertionError(readyz + " not 200 within 60 s:\n" + logs(name));
                Thread.sleep(100);
            }
        }
    }

    private String container() {
        String name = "jlxcfs-image-test-" + UUID.randomUUID().toString().substring(0, 8);
        containers.add(name);
        return name;
    }

    private boolean running(String name) {
        return podman("inspect", "--format", "{{.State.Running}}", name).out().strip().equals("true");
    }

    private String logs(String name) {
        Run.Result r = podman("logs", name);
        return r.out() + r.err();
    }

    private Run.Result podman(String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman"));
        cmd.addAll(List.of(args));
        return Run.cmd(T, env, cmd.toArray(String[]::new));
    }
}
