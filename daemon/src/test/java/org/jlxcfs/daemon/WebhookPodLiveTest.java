package org.jlxcfs.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonpatch.JsonPatch;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.jlxcfs.webhook.admission.InjectionConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A patched pod actually works: a Pod with limits goes to the webhook as shipped (its own
 * process, self-signed CA, real TLS checked as the API server checks it), the JSON Patch it
 * answers is applied by an independent RFC 6902 library, and the patched Pod runs under
 * {@code podman kube play} against a live jlxcfs. Inside, free, /proc/meminfo, python's
 * os.cpu_count() and sysconf's online CPUs show the pod's limits; the same Pod unpatched, run
 * beside it, shows the host's, so the test can tell.
 */
@RequiresRootAndFuse
class WebhookPodLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MEMORY_LIMIT = 256L * 1024 * 1024;

    /**
     * One line per value, {@code key=value}. free is procps' (the host's /usr): busybox's free asks
     * the kernel (sysinfo(2)), which no file can answer for a container. nproc is coreutils'.
     * The limits are read from the container's cgroup (v1 files, else v2's).
     */
    private static final String PROBE = """
            echo memory_limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)
            echo cpu_limit=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max)
            echo free=$(/usr/bin/free -b | grep ^Mem: | tr -s ' ' | cut -d' ' -f2)
            echo meminfo=$(grep ^MemTotal: /proc/meminfo | tr -s ' ')
            echo cpu_count=$(python3 -c 'import os; print(os.cpu_count())')
            echo affinity=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
            echo nproc=$(/usr/bin/nproc)
            echo onln=$(getconf _NPROCESSORS_ONLN)
            echo online=$(cat /sys/devices/system/cpu/online)
            echo processors=$(grep -c ^processor /proc/cpuinfo)
            """;

    @Test
    void aPodPatchedByTheWebhookSeesItsLimits() throws Exception {
        String hostOnline = Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
        String hostCpus = Run.cmd(PodmanHarness.T, "getconf", "_NPROCESSORS_ONLN").requireSuccess().out().strip();
        Assumptions.assumeTrue(Integer.parseInt(hostCpus) >= 2, "needs 2 CPUs to tell a 1-CPU limit from the host");
        String hostMemTotal = hostMemTotalLine();
        String hostNproc = Run.cmd(PodmanHarness.T, "nproc").requireSuccess().out().strip();

        // before anything starts: the resources below close in reverse, the pods before the daemon their files come from
        Run.requireProgram("podman", "apt-get install podman runc");
        Run.requireProgram("busybox", "apt-get install busybox-static");
        // the pod runs these from the host's /usr
        Run.requireProgram("/usr/bin/python3", "apt-get install python3");
        Run.requireProgram("/usr/bin/free", "apt-get install procps");
        Path tmp = Run.sharedTempDir("jlxcfs-webhook-pod");
        try (DaemonProcess daemon = DaemonProcess.startAsShipped(tmp.resolve("mnt"), tmp.resolve("daemon.log"));
             WebhookProcess webhook = WebhookProcess.start(tmp, tmp.resolve("mnt"));
             PodmanHarness podman = PodmanHarness.create(tmp);
             PodmanPods pods = PodmanPods.create(podman, podman.busyboxImage(), tmp)) {
            daemon.awaitServing("proc/meminfo");
            webhook.awaitReady(Duration.ofSeconds(60));

            String name = "jlxcfs-e2e-" + UUID.randomUUID().toString().substring(0, 8);
            ObjectNode pod = pod(name, pods.image);
            JsonNode patched = patchedByWebhook(webhook, pod);
            assertInjected(patched, daemon.mountPoint);

            Path patchedYaml = Files.writeString(tmp.resolve("patched-pod.json"), JSON.writeValueAsString(patched));
            pods.play(name, patchedYaml);
            String control = name + "-control";
            Path controlYaml = Files.writeString(tmp.resolve("control-pod.json"), JSON.writeValueAsString(pod(control, pods.image)));
            pods.play(control, controlYaml);

            Map<String, String> inPatched = probe(pods, name);
            Map<String, String> inControl = probe(pods, control);
            // podman turned the Pod's limits into both containers' cgroups: what differs below is the injection
            for (Map<String, String> in : List.of(inPatched, inControl)) {
                assertThat(in).containsEntry("memory_limit", String.valueOf(MEMORY_LIMIT)).containsEntry("cpu_limit", "100000 100000");
            }

            assertThat(inPatched).as("patched pod").containsEntry("free", String.valueOf(MEMORY_LIMIT))
                    .containsEntry("meminfo", "MemTotal: " + MEMORY_LIMIT / 1024 + " kB")
                    .containsEntry("cpu_count", "1")
                    .containsEntry("onln", "1")
                    .containsEntry("online", "0")
                    .containsEntry("processors", "1");
            // nproc (coreutils' and busybox's alike) counts sched_getaffinity(2): the CPUs the pod may
            // run on. A CPU limit is a quota of time (cpu.cfs_quota_us), not a cpuset, so these are
            // the CPUs the host gives, in the pod as outside it, and no file can change them; `nproc
            // --all` counts the cpuN directories of /sys/devices/system/cpu, not injected by default.
            // What tells programs how many CPUs to use is sysconf(_SC_NPROCESSORS_ONLN) (getconf,
            // python's os.cpu_count), which glibc reads from .../cpu/online: checked above.
            assertThat(inPatched.get("nproc")).as("patched pod").isEqualTo(inPatched.get("affinity")).isEqualTo(hostNproc);

            assertThat(inControl).as("control pod, not patched").containsEntry("free", String.valueOf(hostMemTotalBytes(hostMemTotal)))
                    .containsEntry("meminfo", hostMemTotal)
                    .containsEntry("cpu_count", hostCpus)
                    .containsEntry("onln", hostCpus)
                    .containsEntry("online", hostOnline)
                    .containsEntry("nproc", hostNproc);
        } finally {
            Run.deleteTree(tmp);
        }
    }

    /** The pod's author's Pod: limits, the busybox image, the host's /usr read-only (for python3, procps, coreutils). */
    private static ObjectNode pod(String name, String image) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "%s", "namespace": "default", "labels": {"app": "jlxcfs-e2e"}},
                 "spec": {
                   "restartPolicy": "Never",
                   "containers": [{
                     "name": "app", "image": "%s", "command": ["sleep", "2147483647"],
                     "resources": {"limits": {"cpu": "1", "memory": "256Mi"}},
                     "volumeMounts": [{"name": "host-usr", "mountPath": "/usr", "readOnly": true}]}],
                   "volumes": [{"name": "host-usr", "hostPath": {"path": "/usr", "type": "Directory"}}]}}
                """.formatted(name, image));
    }

    /** The AdmissionReview the API server sends for the Pod's CREATE in a selected namespace, answered over TLS. */
    private static JsonNode patchedByWebhook(WebhookProcess webhook, ObjectNode pod) throws Exception {
        String uid = UUID.randomUUID().toString();
        ObjectNode review = (ObjectNode) JSON.readTree("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                 "request": {
                   "uid": "%s",
                   "kind": {"group": "", "version": "v1", "kind": "Pod"},
                   "resource": {"group": "", "version": "v1", "resource": "pods"},
                   "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                   "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                   "name": "%s", "namespace": "default", "operation": "CREATE",
                   "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
                   "oldObject": null, "dryRun": false,
                   "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}}
                """.formatted(uid, pod.path("metadata").path("name").asText()));
        ((ObjectNode) review.get("request")).set("object", pod);
        HttpRequest post = HttpRequest.newBuilder(webhook.uri("/mutate")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(review))).build();

        HttpResponse<String> answer;
        try (HttpClient https = ServiceHttpsClient.trusting(webhook.caPem, WebhookProcess.SERVICE_DNS_NAME)) {
            answer = https.send(post, HttpResponse.BodyHandlers.ofString());
        }
        // the client does check the name: the same CA does not make another Service's name valid
        try (HttpClient other = ServiceHttpsClient.trusting(webhook.caPem, "other." + WebhookProcess.NAMESPACE + ".svc")) {
            assertThatThrownBy(() -> other.send(post, HttpResponse.BodyHandlers.ofString()))
                    .hasRootCauseInstanceOf(java.security.cert.CertificateException.class)
                    .isInstanceOf(SSLHandshakeException.class);
        }

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode response = JSON.readTree(answer.body()).path("response");
        assertThat(response.path("uid").asText()).as(answer.body()).isEqualTo(uid);
        assertThat(response.path("allowed").asBoolean()).as(answer.body()).isTrue();
        assertThat(response.path("patchType").asText()).as(answer.body()).isEqualTo("JSONPatch");
        JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
        return JsonPatch.fromJson(patch).apply(pod);
    }

    /** A read-only hostPath volume of type File from the live mount, at the same path, per default file. */
    private static void assertInjected(JsonNode patched, Path mount) {
        String text = patched.toPrettyString();
        assertThat(patched.path("metadata").path("annotations").path("jlxcfs.io/status").asText()).as(text).isEqualTo("injected");
        JsonNode app = patched.path("spec").path("containers").path(0);
        for (String file : InjectionConfig.DEFAULT_FILES) {
            JsonNode volume = null;
            for (JsonNode v : patched.path("spec").path("volumes")) {
                if (v.path("hostPath").path("path").asText().equals(mount + "/" + file)) volume = v;
            }
            assertThat(volume).as("volume for " + file + " in " + text).isNotNull();
            assertThat(volume.path("hostPath").path("type").asText()).as(text).isEqualTo("File");
            String volumeName = volume.path("name").asText();
            JsonNode mountOfFile = null;
            for (JsonNode m : app.path("volumeMounts")) {
                if (m.path("name").asText().equals(volumeName)) mountOfFile = m;
            }
            assertThat(mountOfFile).as("mount of " + volumeName + " in " + text).isNotNull();
            assertThat(mountOfFile.path("mountPath").asText()).isEqualTo("/" + file);
            assertThat(mountOfFile.path("readOnly").asBoolean()).as(text).isTrue();
        }
        // the author's own volume and mount are still there, unchanged
        assertThat(patched.path("spec").path("volumes").toString()).contains("{\"name\":\"host-usr\",\"hostPath\":{\"path\":\"/usr\",\"type\":\"Directory\"}}");
        assertThat(app.path("volumeMounts").toString()).contains("{\"name\":\"host-usr\",\"mountPath\":\"/usr\",\"readOnly\":true}");
        assertThat(app.path("resources").toString()).isEqualTo("{\"limits\":{\"cpu\":\"1\",\"memory\":\"256Mi\"}}");
    }

    private static Map<String, String> probe(PodmanPods pods, String pod) {
        Run.Result r = pods.exec(pod, "app", PROBE).requireSuccess();
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : r.out().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) values.put(line.substring(0, eq), line.substring(eq + 1).strip());
        }
        return values;
    }

    /** The host's "MemTotal: N kB", spaces squeezed as the probe squeezes them. */
    private static String hostMemTotalLine() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) return line.replaceAll(" +", " ");
        }
        throw new AssertionError("no MemTotal in /proc/meminfo");
    }

    private static long hostMemTotalBytes(String memTotalLine) {
        return Long.parseLong(memTotalLine.split(" ")[1]) * 1024;
    }
}
