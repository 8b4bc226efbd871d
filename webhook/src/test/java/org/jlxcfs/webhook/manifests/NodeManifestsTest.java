package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node side as every overlay renders it: the keeper and daemon DaemonSets, their RBAC, and how they fit the webhook
 * (same image, same mount point on the host, the node label the webhook's node selector waits for).
 */
class NodeManifestsTest {
    /** Where jlxcfs (or, in lxcfs-compat, LXCFS before it) mounts on the host: no pod may have a hostPath there. */
    private static final List<String> FUSE_MOUNT_POINTS = List.of("/var/lib/jlxcfs", "/var/lib/lxcfs");
    private static final String SOCKET = "/run/jlxcfs/keeper.sock";

    static JsonNode keeper(String overlay) {
        return RenderedOverlay.of(overlay).one("DaemonSet", "jlxcfs-keeper");
    }

    static JsonNode daemon(String overlay) {
        return RenderedOverlay.of(overlay).one("DaemonSet", "jlxcfs");
    }

    private static JsonNode onlyContainer(JsonNode workload) {
        JsonNode containers = workload.at("/spec/template/spec/containers");
        assertThat(containers).as(RenderedOverlay.id(workload)).hasSize(1);
        return containers.get(0);
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    /** The value of {@code --name=VALUE} (the manifests always use the = form), if given. */
    private static Optional<String> option(List<String> args, String name) {
        return args.stream().filter(a -> a.startsWith(name + "=")).map(a -> a.substring(name.length() + 1)).findFirst();
    }

    private static Map<String, JsonNode> volumes(JsonNode workload) {
        Map<String, JsonNode> byName = new HashMap<>();
        workload.at("/spec/template/spec/volumes").forEach(v -> byName.put(v.path("name").asText(), v));
        return byName;
    }

    /** Where the daemon's mount point (its last argument, seen in the container) is on the host, through its hostPath mounts. */
    private static String hostMountPoint(String overlay) {
        JsonNode daemon = daemon(overlay);
        JsonNode container = onlyContainer(daemon);
        List<String> args = strings(container.path("args"));
        String mountPoint = args.getLast();
        assertThat(mountPoint).as("the mount point is the last argument").startsWith("/");
        for (JsonNode mount : container.path("volumeMounts")) {
            Path in = Path.of(mount.path("mountPath").asText());
            Path point = Path.of(mountPoint);
            if (point.startsWith(in)) {
                JsonNode hostPath = volumes(daemon).get(mount.path("name").asText()).path("hostPath");
                assertThat(hostPath.isObject()).as("the mount point is under a hostPath volume").isTrue();
                return Path.of(hostPath.path("path").asText()).resolve(in.relativize(point)).toString();
            }
        }
        throw new AssertionError(overlay + ": the daemon's mount point " + mountPoint + " is under no volume");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void noPodHasAHostPathOfTheFuseMountPointOrInsideIt(String overlay) {
        for (JsonNode object : RenderedOverlay.of(overlay).objects()) {
            for (JsonNode volume : object.at("/spec/template/spec/volumes")) {
                if (!volume.has("hostPath")) continue;
                Path path = Path.of(volume.at("/hostPath/path").asText()).normalize();
                for (String mountPoint : FUSE_MOUNT_POINTS) {
                    assertThat(path.startsWith(Path.of(mountPoint))).as("%s volume %s: %s", RenderedOverlay.id(object),
                            volume.path("name").asText(), path).isFalse();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void theDaemonMountsThroughABidirectionalParentOfTheMountPoint(String overlay) {
        JsonNode daemon = daemon(overlay);
        JsonNode container = onlyContainer(daemon);
        String mountPoint = strings(container.path("args")).getLast();
        JsonNode parent = null;
        for (JsonNode mount : container.path("volumeMounts")) {
            if (Path.of(mountPoint).startsWith(Path.of(mount.path("mountPath").asText()))) parent = mount;
        }
        assertThat(parent).as("a volume holds " + mountPoint).isNotNull();
        assertThat(parent.path("mountPropagation").asText()).isEqualTo("Bidirectional");
        assertThat(Path.of(parent.path("mountPath").asText())).as("a parent, not the mount point").isNotEqualTo(Path.of(mountPoint));
        assertThat(volumes(daemon).get(parent.path("name").asText()).at("/hostPath/type").asText()).isEqualTo("Directory");
        assertThat(onlyContainer(daemon).at("/securityContext/privileged").asBoolean()).as("Bidirectional needs privileged").isTrue();
        assertThat(hostMountPoint(overlay)).isIn(FUSE_MOUNT_POINTS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void theWebhookInjectsFromWhereTheDaemonMountsAndRequiresTheNodeLabel(String overlay) {
        List<String> webhookArgs = WebhookDeploymentTest.args(overlay);
        String sourceDir = option(webhookArgs, "--source-dir").orElse("/var/lib/jlxcfs");
        assertThat(sourceDir).isEqualTo(hostMountPoint(overlay));
        assertThat(webhookArgs).contains("--require-node-label");
        assertThat(strings(onlyContainer(daemon(overlay)).path("args"))).as("the daemon sets the label the webhook requires")
                .contains("--node-label");
    }

    @Test
    void lxcfsCompatServesTheSeedsPathsAndFilesAndRepairsItsPods() {
        assertThat(hostMountPoint("lxcfs-compat")).isEqualTo("/var/lib/lxcfs");
        List<String> daemonArgs = strings(onlyContainer(daemon("lxcfs-compat")).path("args"));
        assertThat(option(daemonArgs, "--remount-lxcfs")).as("dead LXCFS binds moved to jlxcfs").contains("/host/var/lib/lxcfs");
        assertThat(daemonArgs.getLast()).isEqualTo("/host/var/lib/lxcfs");
        assertThat(option(WebhookDeploymentTest.args("lxcfs-compat"), "--files").orElseThrow().split(",")).containsExactlyInAnyOrder(
                "proc/cpuinfo", "proc/meminfo", "proc/diskstats", "proc/stat", "proc/swaps", "proc/uptime", "proc/loadavg",
                "sys/devices/system/cpu/online");
        assertThat(option(WebhookDeploymentTest.args("self-signed"), "--source-dir")).as("the other overlays keep the default").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void everyContainerHasRequestsLimitsAndProbes(String overlay) {
        List<String> problems = new ArrayList<>();
        for (JsonNode object : RenderedOverlay.of(overlay).objects()) {
            if (!object.at("/spec/template/spec").isObject()) continue;
            List<JsonNode> containers = new ArrayList<>();
            object.at("/spec/template/spec/containers").forEach(containers::add);
            object.at("/spec/template/spec/initContainers").forEach(containers::add);
            for (JsonNode c : containers) {
                String id = RenderedOverlay.id(object) + " container " + c.path("name").asText();
                for (String field : List.of("/resources/requests/cpu", "/resources/requests/memory", "/resources/limits/memory")) {
                    if (c.at(field).isMissingNode()) problems.add(id + ": no " + field);
                }
                if (c.at("/readinessProbe").isMissingNode()) problems.add(id + ": no readiness probe");
                // the keeper alone has no liveness probe: killing it on a missed probe would end the FUSE
                // connection of every pod on the node whenever no daemon runs at that moment
                boolean keeper = object.at("/metadata/name").asText().equals("jlxcfs-keeper");
                if (keeper != c.at("/livenessProbe").isMissingNode()) {
                    problems.add(id + (keeper ? ": the keeper must have no liveness probe" : ": no liveness probe"));
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void theKeeperHoldsTheConnectionAndIsNeverRolledOut(String overlay) {
        JsonNode keeper = keeper(overlay);
        JsonNode pod = keeper.at("/spec/template/spec");
        assertThat(keeper.at("/spec/updateStrategy/type").asText()).isEqualTo("OnDelete");
        assertThat(pod.path("priorityClassName").asText()).isEqualTo("system-node-critical");
        assertThat(pod.path("hostPID").asBoolean()).isTrue();
        assertToleratesEverything(pod);
        JsonNode container = onlyContainer(keeper);
        assertThat(strings(container.path("args"))).containsExactly("keeper", "--socket=" + SOCKET, "--no-restart", "--give-up-after=60");
        assertThat(strings(container.at("/readinessProbe/exec/command"))).first().isEqualTo("python3");
        assertThat(container.at("/readinessProbe/exec/command/2").asText()).contains(SOCKET, "SOCK_SEQPACKET", "jlxcfs-keeper/1 PING");
        assertThat(container.at("/resources/limits/cpu").isMissingNode()).as("a CPU limit").isFalse();

        JsonNode security = container.path("securityContext");
        assertThat(security.path("privileged").asBoolean(true)).isFalse();
        assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(strings(security.at("/capabilities/drop"))).containsExactly("ALL");
        assertThat(strings(security.at("/capabilities/add"))).as("/proc/PID/cwd of the daemon").containsExactly("SYS_PTRACE");
        assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
        assertSocketDirectory(keeper);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void theDaemonTakesOverFromTheKeeperAndHandsBackOnSigterm(String overlay) {
        JsonNode daemon = daemon(overlay);
        JsonNode pod = daemon.at("/spec/template/spec");
        assertThat(daemon.at("/spec/updateStrategy/type").asText()).isEqualTo("RollingUpdate");
        assertThat(daemon.at("/spec/updateStrategy/rollingUpdate/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(daemon.at("/spec/updateStrategy/rollingUpdate/maxSurge").asInt(-1)).isZero();
        assertThat(pod.path("priorityClassName").asText()).isEqualTo("system-node-critical");
        assertThat(pod.path("hostPID").asBoolean()).isTrue();
        assertThat(pod.path("hostNetwork").asBoolean(false)).as("the health port stays on the pod's address").isFalse();
        assertThat(pod.path("terminationGracePeriodSeconds").asInt()).isBetween(5, 30);
        assertToleratesEverything(pod);

        JsonNode container = onlyContainer(daemon);
        assertThat(strings(container.path("command"))).containsExactly("nsenter", "--cgroup=/proc/1/ns/cgroup", "--", "jlxcfs");
        List<String> args = strings(container.path("args"));
        assertThat(args).contains("--replace", "--on-term=handover", "--keeper-socket=" + SOCKET, "--node-label");
        assertThat(Integer.parseInt(option(args, "--keeper-wait").orElseThrow())).isPositive();
        int healthPort = Integer.parseInt(option(args, "--health-port").orElseThrow());
        Map<String, Integer> ports = new HashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports).containsEntry("health", healthPort);
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertThat(container.at("/" + probe + "/httpGet/port").asText()).as(probe).isEqualTo("health");
            assertThat(container.at("/" + probe + "/exec").isMissingNode()).as(probe + " runs nothing that could touch FUSE").isTrue();
        }
        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(container.at("/livenessProbe/failureThreshold").asInt() * container.at("/livenessProbe/periodSeconds").asInt())
                .as("a minute of silence before a liveness restart").isGreaterThanOrEqualTo(60);
        assertThat(container.at("/startupProbe/failureThreshold").asInt() * container.at("/startupProbe/periodSeconds").asInt())
                .as("startup outlasts --keeper-wait").isGreaterThan(Integer.parseInt(option(args, "--keeper-wait").orElseThrow()));
        assertThat(container.at("/resources/limits/cpu").isMissingNode()).as("no CPU limit: throttling is read latency").isTrue();

        JsonNode nodeName = null;
        for (JsonNode env : container.path("env")) if (env.path("name").asText().equals("NODE_NAME")) nodeName = env;
        assertThat(nodeName).as("NODE_NAME").isNotNull();
        assertThat(nodeName.at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("spec.nodeName");

        JsonNode cgroup = null;
        for (JsonNode mount : container.path("volumeMounts")) if (mount.path("mountPath").asText().equals("/sys/fs/cgroup")) cgroup = mount;
        assertThat(cgroup).as("/sys/fs/cgroup").isNotNull();
        assertThat(cgroup.path("readOnly").asBoolean()).isTrue();
        assertThat(volumes(daemon).get(cgroup.path("name").asText()).at("/hostPath/path").asText()).isEqualTo("/sys/fs/cgroup");
        assertSocketDirectory(daemon);
        assertThat(pod.path("serviceAccountName").asText()).isEqualTo("jlxcfs-node");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void theDaemonMayGetAndPatchNodesAndNothingElse(String overlay) {
        RenderedOverlay rendered = RenderedOverlay.of(overlay);
        rendered.one("ServiceAccount", "jlxcfs-node");
        JsonNode role = rendered.one("ClusterRole", "jlxcfs-node");
        assertThat(role.path("rules")).hasSize(1);
        JsonNode rule = role.path("rules").get(0);
        assertThat(strings(rule.path("apiGroups"))).containsExactly("");
        assertThat(strings(rule.path("resources"))).containsExactly("nodes");
        assertThat(strings(rule.path("verbs"))).containsExactlyInAnyOrder("get", "patch");
        JsonNode binding = rendered.one("ClusterRoleBinding", "jlxcfs-node");
        assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("ClusterRole");
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo("jlxcfs-node");
        assertThat(binding.path("subjects")).hasSize(1);
        assertThat(binding.at("/subjects/0/kind").asText()).isEqualTo("ServiceAccount");
        assertThat(binding.at("/subjects/0/name").asText()).isEqualTo("jlxcfs-node");
        assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo("jlxcfs-system");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void oneImageForDaemonKeeperAndWebhook(String overlay) {
        String webhook = WebhookDeploymentTest.container(overlay).path("image").asText();
        assertThat(onlyContainer(keeper(overlay)).path("image").asText()).isEqualTo(webhook);
        assertThat(onlyContainer(daemon(overlay)).path("image").asText()).isEqualTo(webhook);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void theNodeSidesNamespaceIsNeverInjected(String overlay) {
        Map<String, String> ownNamespace = Map.of("kubernetes.io/metadata.name", "jlxcfs-system", "jlxcfs.io/inject", "enabled",
                "lxcfs-admission-webhook", "enabled");
        Map<String, String> podLabels = new HashMap<>();
        daemon(overlay).at("/spec/template/metadata/labels").properties().forEach(e -> podLabels.put(e.getKey(), e.getValue().asText()));
        podLabels.put("jlxcfs.io/inject", "enabled");
        for (JsonNode webhook : WebhookConfigurationTest.webhooks(overlay)) {
            boolean sent = new LabelSelector(webhook.path("namespaceSelector")).matches(ownNamespace)
                    && new LabelSelector(webhook.path("objectSelector")).matches(podLabels);
            assertThat(sent).as(webhook.path("name").asText() + " would send the node side's pods, even labelled").isFalse();
        }
        assertThat(daemon(overlay).at("/metadata/namespace").asText()).isEqualTo("jlxcfs-system");
        assertThat(keeper(overlay).at("/metadata/namespace").asText()).isEqualTo("jlxcfs-system");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void podSecurityAdmissionLetsTheNodeSideIn(String overlay) {
        JsonNode namespace = RenderedOverlay.of(overlay).one("Namespace", "jlxcfs-system");
        assertThat(namespace.at("/metadata/labels/pod-security.kubernetes.io~1enforce").asText())
                .as("a privileged, hostPID DaemonSet needs the privileged level").isEqualTo("privileged");
    }

    /** Every taint tolerated: a key-less Exists toleration. */
    private static void assertToleratesEverything(JsonNode pod) {
        boolean all = false;
        for (JsonNode toleration : pod.path("tolerations")) {
            all |= toleration.path("operator").asText().equals("Exists") && !toleration.has("key") && !toleration.has("effect");
        }
        assertThat(all).as("tolerates every taint").isTrue();
    }

    /** The keeper's socket directory, the same hostPath for keeper and daemon. */
    private static void assertSocketDirectory(JsonNode workload) {
        JsonNode container = onlyContainer(workload);
        JsonNode mount = null;
        for (JsonNode m : container.path("volumeMounts")) if (m.path("mountPath").asText().equals("/run/jlxcfs")) mount = m;
        assertThat(mount).as(RenderedOverlay.id(workload) + " mounts /run/jlxcfs").isNotNull();
        JsonNode hostPath = volumes(workload).get(mount.path("name").asText()).path("hostPath");
        assertThat(hostPath.path("path").asText()).isEqualTo("/run/jlxcfs");
        assertThat(hostPath.path("type").asText()).isEqualTo("DirectoryOrCreate");
    }
}
