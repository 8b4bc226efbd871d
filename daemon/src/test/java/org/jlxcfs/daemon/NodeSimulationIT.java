package org.jlxcfs.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonpatch.JsonPatch;
import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.jlxcfs.webhook.admission.AdmissionHandler;
import org.jlxcfs.webhook.admission.InjectionConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Kubernetes node simulated with podman, the same image and the same argument shapes as the
 * DaemonSets: the keeper and the daemon in separate privileged containers in the host's pid and
 * cgroup namespaces ({@link SimulatedNode}), and an application pod made by {@code podman kube
 * play} from a Pod with memory and CPU limits patched by the webhook's own code. The pod's reader
 * ({@link PodReader}) reads its /proc and /sys files at full speed throughout.
 *
 * <p>The daemon container is replaced 10 times (rolling: SIGTERM then the next; surge: the next
 * while the old runs; SIGKILL then the next; half with a differently-versioned image): no read
 * fails, none shows another machine's values. Then keeper and daemon are both removed (reads now
 * fail: the reader does detect failures) and started again: the fresh daemon's remount agent
 * repairs the running pod, which reads its own values again without being restarted.
 *
 * <p>The seed's recipe run the same way ({@link SeedLxcfs}: LXCFS restarted as its DaemonSet pod
 * is, 10 times, then the users' nsenter remount) for comparison; both tables are printed side by
 * side at the end. One line per phase starts with {@code NODE-SIMULATION}.
 */
@RequiresRootAndFuse
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeSimulationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WRITE = Duration.ofSeconds(30);
    private static final int REPLACEMENTS = 10;
    /** The pod's limits, and what its files must then show: 256 MiB, one CPU ("0" online). */
    private static final String MEMORY = "256Mi";
    private static final String MEM_TOTAL_KB = "262144";
    private static final Map<String, List<PodReader.Phase>> RESULTS = new LinkedHashMap<>();

    private enum Replacement { ROLLING, SURGE, SIGKILL }

    private String image;
    private Map<String, String> env;

    @BeforeEach
    void image() throws Exception {
        String cpus = Run.cmd(SimulatedNode.T, "getconf", "_NPROCESSORS_ONLN").requireSuccess().out().strip();
        Assumptions.assumeTrue(Integer.parseInt(cpus) >= 2, "needs 2 CPUs to tell a 1-CPU limit from the host");
        Run.requireProgram("busybox", "apt-get install busybox-static"); // the pods' infra image
        image = ProjectImage.name();
        env = ProjectImage.podmanEnv();
    }

    @Test
    @Order(1)
    void jlxcfsNodeSurvivesTenDaemonReplacementsAndRepairsPodsAfterAFreshMount() throws Exception {
        String version = ProjectImage.mavenVersion();
        Path tmp = Run.sharedTempDir("jlxcfs-node");
        List<PodReader.Phase> phases = new ArrayList<>();
        try (VersionedImage other = VersionedImage.derive(image, version + "-node-b", tmp, env);
             RsharedDirectory varLib = RsharedDirectory.create(tmp.resolve("var-lib"));
             SimulatedNode node = new SimulatedNode(env, varLib.path, tmp.resolve("run-jlxcfs"));
             PodmanHarness harness = PodmanHarness.create(tmp);
             PodmanPods pods = PodmanPods.create(harness, harness.busyboxImage(), tmp)) {
            assertThat(node.podman("run", "--rm", image, "--version").requireSuccess().out().strip()).isEqualTo("jlxcfs " + version);
            assertThat(node.podman("run", "--rm", other.name, "--version").requireSuccess().out().strip())
                    .isEqualTo("jlxcfs " + other.version);

            String keeper = node.startKeeper(image);
            SimulatedNode.Daemon daemon = node.startDaemon(image);
            node.awaitReady(daemon, Duration.ofSeconds(120));
            MountTable.Mount mount = node.mount();
            assertThat(mount.fsType()).isEqualTo("fuse.jlxcfs");

            String pod = "jlxcfs-node-app-" + UUID.randomUUID().toString().substring(0, 8);
            PodReader reader = playReaderPod(pods, pod, tmp, node.mountPoint, false);
            String app = pod + "-app";
            String identity = identity(node, app);
            PodReader.Counts start = reader.snapshot(Duration.ofSeconds(60), "after the pod started");
            Thread.sleep(2000);
            PodReader.Counts served = reader.snapshot(WRITE, "while the first daemon serves");
            phases.add(check(served.since(start, "serving"), served, true));

            // 10 replacements: kinds in turn, every other one with the other build
            PodReader.Counts before = served;
            for (int i = 0; i < REPLACEMENTS; i++) {
                Replacement kind = Replacement.values()[i % 3];
                String nextImage = i % 2 == 0 ? other.name : image;
                String nextVersion = i % 2 == 0 ? other.version : version;
                PodReader.Counts windowStart = reader.snapshot(WRITE, "before replacement " + (i + 1));
                long t = System.nanoTime();
                SimulatedNode.Daemon next;
                int oldExit;
                switch (kind) {
                    case ROLLING -> {
                        oldExit = node.stop(daemon.container(), 10); // the DaemonSet's terminationGracePeriodSeconds
                        next = node.startDaemon(nextImage);
                        node.awaitReady(next, Duration.ofSeconds(120));
                    }
                    case SURGE -> {
                        next = node.startDaemon(nextImage);
                        node.awaitReady(next, Duration.ofSeconds(120));
                        oldExit = node.awaitExit(daemon.container(), Duration.ofSeconds(60));
                    }
                    default -> {
                        oldExit = node.kill(daemon.container());
                        next = node.startDaemon(nextImage);
                        node.awaitReady(next, Duration.ofSeconds(120));
                    }
                }
                double seconds = (System.nanoTime() - t) / 1e9;
                PodReader.Counts windowEnd = reader.snapshot(WRITE, "after replacement " + (i + 1) + " (" + kind + ")");
                PodReader.Phase window = windowEnd.since(windowStart, "replacement " + (i + 1));
                System.out.printf("NODE-SIMULATION jlxcfs replacement %d: %s to %s, ready (/readyz) after %.1f s; %s%n",
                        i + 1, kind, nextVersion, seconds, window);
                assertThat(window.reads()).as("the reader made progress in " + window).isPositive();
                check(window, windowEnd, true);
                String oldLog = node.logs(daemon.container());
                assertThat(oldExit).as(kind + ": exit code of " + daemon.container() + "\n" + oldLog)
                        .isEqualTo(kind == Replacement.SIGKILL ? 137 : 0);
                if (kind != Replacement.SIGKILL) assertThat(oldLog).as(daemon.container()).doesNotContain("unmounted");
                assertThat(node.logs(next.container())).as(next.container()).contains("jlxcfs " + nextVersion + ", pid")
                        .contains("took over " + SimulatedNode.MOUNT_IN_CONTAINER);
                String takeovers = takeovers(node.get(next, "/metrics").body());
                assertThat(takeovers).as(kind + ": the new daemon's takeovers in /metrics")
                        .isEqualTo(kind == Replacement.SURGE ? "graceful=1 recovery=0" : "graceful=0 recovery=1");
                daemon = next;
            }
            PodReader.Counts replaced = reader.snapshot(WRITE, "after the replacements");
            String metrics = node.get(daemon, "/metrics").body();
            assertThat(metrics).as("/metrics of the last daemon").contains("jlxcfs_serving 1", "jlxcfs_takeovers_total{kind=",
                    "jlxcfs_build_info{version=\"" + version + "\"} 1");
            assertThat(node.get(daemon, "/healthz").statusCode()).isEqualTo(200);
            phases.add(check(replaced.since(before, REPLACEMENTS + " daemon replacements"), replaced, true));
            assertThat(node.mount()).as("the same mount throughout: never remounted").isEqualTo(mount);

            // keeper and daemon both gone: the connection is lost, reads must fail now
            node.remove(daemon.container());
            node.remove(keeper);
            PodReader.Counts gone = awaitFailures(reader, replaced);
            Thread.sleep(1000);
            PodReader.Counts lost = reader.snapshot(WRITE, "with neither keeper nor daemon");
            PodReader.Phase lostPhase = lost.since(replaced, "keeper and daemon removed");
            phases.add(lostPhase);
            assertThat(lostPhase.failures()).as("failed reads once the connection is lost (the reader can tell): " + lostPhase
                    + ", last error " + lost.lastError()).isPositive();
            System.out.println("NODE-SIMULATION jlxcfs " + lostPhase + " (last error: " + gone.lastError() + ")");

            // a fresh keeper and daemon (a node reboot, or both pods deleted): the remount agent repairs the pod
            keeper = node.startKeeper(image);
            daemon = node.startDaemon(image);
            node.awaitReady(daemon, Duration.ofSeconds(120));
            // a fresh connection (mount ids are reused; the pod's dead binds keep the old device's number taken)
            assertThat(node.logs(daemon.container())).contains("detached a dead fuse.jlxcfs mount", "mounted jlxcfs at");
            assertThat(node.mount().device()).as("a fresh mount").isNotEqualTo(mount.device());
            // what the host (a kubelet starting new pods) sees at the mount point is the live mount, not a dead one on top
            assertThat(Files.readString(node.mountPoint.resolve("proc/meminfo"))).startsWith("MemTotal:");
            PodReader.Counts repairedAt = awaitNoFailures(reader, node, daemon);
            Thread.sleep(3000);
            PodReader.Counts after = reader.snapshot(WRITE, "after the repair");
            phases.add(check(after.since(repairedAt, "repaired by the remount agent"), after, true));
            assertThat(node.logs(daemon.container())).contains("re-binding");
            assertThat(identity(node, app)).as("the pod's container was not restarted").isEqualTo(identity);
            assertThat(after.pid()).as("the reader was not restarted").isEqualTo(start.pid());
            assertThat(after.started()).isEqualTo(start.started());
        } finally {
            RESULTS.put("jlxcfs (keeper + daemon DaemonSets)", phases);
            phases.forEach(p -> System.out.println("NODE-SIMULATION jlxcfs " + p));
            Run.deleteTree(tmp);
        }
    }

    @Test
    @Order(2)
    void theSeedsLxcfsRecipeFailsReadsOnEveryRestartUntilRemounted() throws Exception {
        Run.requireProgram("/usr/bin/lxcfs", "apt-get install lxcfs");
        Run.requireProgram("nsenter", "apt-get install util-linux");
        Path tmp = Run.sharedTempDir("jlxcfs-node-lxcfs");
        List<PodReader.Phase> phases = new ArrayList<>();
        try (RsharedDirectory varLib = RsharedDirectory.create(tmp.resolve("var-lib"));
             SeedLxcfs lxcfs = new SeedLxcfs(varLib.path.resolve("lxcfs"), tmp);
             PodmanHarness harness = PodmanHarness.create(tmp);
             PodmanPods pods = PodmanPods.create(harness, harness.busyboxImage(), tmp)) {
            lxcfs.start();
            String pod = "lxcfs-node-app-" + UUID.randomUUID().toString().substring(0, 8);
            PodReader reader = playReaderPod(pods, pod, tmp, lxcfs.mountPoint, true);
            String app = pod + "-app";
            PodReader.Counts start = reader.snapshot(Duration.ofSeconds(60), "after the pod started");
            Thread.sleep(2000);
            PodReader.Counts served = reader.snapshot(WRITE, "while LXCFS serves");
            phases.add(check(served.since(start, "serving"), served, false));

            PodReader.Counts before = served;
            for (int i = 0; i < REPLACEMENTS; i++) {
                String signal = i % 2 == 0 ? "TERM" : "KILL";
                long t = System.nanoTime();
                lxcfs.stop(signal);
                lxcfs.start();
                System.out.printf("NODE-SIMULATION lxcfs restart %d: SIG%s, serving again after %.1f s%n",
                        i + 1, signal, (System.nanoTime() - t) / 1e9);
                Thread.sleep(500);
            }
            PodReader.Counts restarted = reader.snapshot(WRITE, "after the restarts");
            PodReader.Phase restarts = restarted.since(before, REPLACEMENTS + " daemon replacements");
            phases.add(restarts);
            assertThat(restarts.failures()).as("LXCFS restarts break the pod's files: " + restarts).isPositive();

            // the users' remount script: nsenter into the pod's mount namespace, bind each file again
            long pid = hostPid(harness, app);
            lxcfs.remountInto(pid, InjectionConfig.DEFAULT_FILES);
            PodReader.Counts remounted = reader.snapshot(WRITE, "after the nsenter remount");
            Thread.sleep(3000);
            PodReader.Counts after = reader.snapshot(WRITE, "after the nsenter remount");
            phases.add(check(after.since(remounted, "repaired by nsenter + mount --bind"), after, false));
        } finally {
            RESULTS.put("LXCFS (seed recipe: DaemonSet restart, nsenter remount)", phases);
            phases.forEach(p -> System.out.println("NODE-SIMULATION lxcfs " + p));
            Run.deleteTree(tmp);
        }
    }

    /** Both tables side by side, phase by phase, for the closing note. */
    @AfterAll
    static void printSideBySide() {
        if (RESULTS.isEmpty()) return;
        List<String> names = new ArrayList<>(RESULTS.keySet());
        StringBuilder table = new StringBuilder("NODE-SIMULATION side by side (reads / failed / wrong):\n");
        table.append(String.format("  %-32s", "phase"));
        for (String n : names) table.append(String.format(" | %-56s", n));
        table.append('\n');
        List<String> phaseNames = new ArrayList<>();
        RESULTS.values().forEach(ps -> ps.forEach(p -> { if (!phaseNames.contains(phaseKey(p))) phaseNames.add(phaseKey(p)); }));
        for (String phase : phaseNames) {
            table.append(String.format("  %-32s", phase));
            for (String n : names) {
                PodReader.Phase p = RESULTS.get(n).stream().filter(x -> phaseKey(x).equals(phase)).findFirst().orElse(null);
                table.append(String.format(" | %-56s", p == null ? "-" : p.reads() + " / " + p.failures()
                        + (p.errors().isEmpty() ? "" : " " + p.errors()) + " / " + p.wrong()));
            }
            table.append('\n');
        }
        System.out.print(table);
        StringBuilder line = new StringBuilder("NODE-SIMULATION summary:");
        RESULTS.forEach((n, ps) -> ps.stream().filter(p -> p.name().startsWith(REPLACEMENTS + " "))
                .forEach(p -> line.append(String.format(" %s, %d restarts: %d reads, %d failed, %d wrong;",
                        n, REPLACEMENTS, p.reads(), p.failures(), p.wrong()))));
        System.out.println(line);
    }

    /** Repair phases line up in the table whatever repaired them. */
    private static String phaseKey(PodReader.Phase p) {
        return p.name().startsWith("repaired") ? "after the repair" : p.name();
    }

    /**
     * Asserts a phase of a node that should be serving: no failed read, and (for jlxcfs, whose
     * values are checked; LXCFS's are reported) no value of another machine.
     */
    private static PodReader.Phase check(PodReader.Phase phase, PodReader.Counts at, boolean valuesMustBeRight) {
        assertThat(phase.failures()).as("failed reads in " + phase + "; last error: " + at.lastError()).isZero();
        if (valuesMustBeRight) assertThat(phase.wrong()).as("wrong values in " + phase + "; first: " + at.firstWrong()).isZero();
        assertThat(phase.reads()).as("reads in " + phase).isPositive();
        return phase;
    }

    /** Waits until the reader has failed reads after {@code since}: the connection is gone. */
    private static PodReader.Counts awaitFailures(PodReader reader, PodReader.Counts since) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            PodReader.Counts now = reader.snapshot(WRITE, "after keeper and daemon were removed");
            if (now.failures() > since.failures()) return now;
            if (System.nanoTime() > deadline) throw new AssertionError("no failed read within 60 s of removing keeper and daemon: " + now);
        }
    }

    /** Waits until a whole second passes without a failed read (the pod's binds were repaired). */
    private static PodReader.Counts awaitNoFailures(PodReader reader, SimulatedNode node, SimulatedNode.Daemon daemon) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        PodReader.Counts previous = reader.snapshot(WRITE, "after the fresh daemon started");
        while (true) {
            Thread.sleep(1000);
            PodReader.Counts now = reader.snapshot(WRITE, "while the remount agent repairs the pod");
            if (now.failures() == previous.failures() && now.reads() > previous.reads()) return now;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("reads still fail 90 s after the fresh daemon started: " + now + "\n"
                        + node.logs(daemon.container()));
            }
            previous = now;
        }
    }

    /** The graceful and recovery counts of jlxcfs_takeovers_total in a /metrics text. */
    private static String takeovers(String metrics) {
        StringBuilder out = new StringBuilder();
        for (String kind : List.of("graceful", "recovery")) {
            String prefix = "jlxcfs_takeovers_total{kind=\"" + kind + "\"} ";
            String value = metrics.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).strip())
                    .findFirst().orElse("missing");
            out.append(out.isEmpty() ? "" : " ").append(kind).append('=').append(value.replaceAll("\\.0$", ""));
        }
        return out.toString();
    }

    /** The container's id and start time: a restarted container would change them. */
    private static String identity(SimulatedNode node, String container) {
        return node.podman("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", container).requireSuccess().out().strip();
    }

    /** The host pid of a container's main process. */
    private static long hostPid(PodmanHarness harness, String container) {
        return Long.parseLong(Run.cmd(SimulatedNode.T, harness.env, "podman", "inspect", "--format", "{{.State.Pid}}", container)
                .requireSuccess().out().strip());
    }

    /**
     * The application: a Pod with memory and CPU limits running the reader (python3 of the
     * project image), patched by the webhook's own code for files from {@code source} and run
     * with podman kube play. {@code parentForRemount}: also give the pod the source's parent
     * directory with HostToContainer propagation, as the LXCFS recipe's successors do so that
     * their nsenter remount finds a fresh source inside the pod.
     */
    private PodReader playReaderPod(PodmanPods pods, String name, Path tmp, Path source, boolean parentForRemount) throws Exception {
        Path readerDir = Files.createDirectories(tmp.resolve("reader"));
        Files.writeString(readerDir.resolve("reader.py"), PodReader.SCRIPT);
        Path out = Files.createDirectories(tmp.resolve("reader-out"));
        ObjectNode pod = (ObjectNode) JSON.readTree("""
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "%s", "namespace": "default", "labels": {"app": "jlxcfs-node-test"}},
                 "spec": {
                   "restartPolicy": "Never",
                   "containers": [{
                     "name": "app", "image": "%s",
                     "command": ["python3", "/reader/reader.py", "/out/counters.json", "%s", "0", "1"],
                     "resources": {"limits": {"cpu": "1", "memory": "%s"}},
                     "volumeMounts": [{"name": "reader", "mountPath": "/reader", "readOnly": true},
                                      {"name": "out", "mountPath": "/out"}]}],
                   "volumes": [{"name": "reader", "hostPath": {"path": "%s", "type": "Directory"}},
                               {"name": "out", "hostPath": {"path": "%s", "type": "Directory"}}]}}
                """.formatted(name, image, MEM_TOTAL_KB, MEMORY, readerDir, out));
        JsonNode patched = patchedByWebhook(pod, source);
        if (parentForRemount) {
            String parent = source.getParent().toString();
            ((ArrayNode) patched.path("spec").path("volumes")).addObject().put("name", "lxcfs-parent")
                    .putObject("hostPath").put("path", parent).put("type", "Directory");
            ((ArrayNode) patched.path("spec").path("containers").path(0).path("volumeMounts")).addObject()
                    .put("name", "lxcfs-parent").put("mountPath", parent).put("mountPropagation", "HostToContainer");
        }
        pods.play(name, Files.writeString(tmp.resolve(name + ".json"), JSON.writeValueAsString(patched)));
        return new PodReader(out.resolve("counters.json"));
    }

    /** The Pod as the webhook's handler patches it at CREATE in a selected namespace, the patch applied by an independent library. */
    private static JsonNode patchedByWebhook(ObjectNode pod, Path source) throws Exception {
        ObjectNode review = (ObjectNode) JSON.readTree("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                 "request": {"uid": "%s", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                   "resource": {"group": "", "version": "v1", "resource": "pods"},
                   "name": "%s", "namespace": "default", "operation": "CREATE",
                   "userInfo": {"username": "kubernetes-admin"}}}
                """.formatted(UUID.randomUUID(), pod.path("metadata").path("name").asText()));
        ((ObjectNode) review.get("request")).set("object", pod);
        AdmissionHandler handler = new AdmissionHandler(new InjectionConfig(InjectionConfig.DEFAULT_FILES, source, "jlxcfs-system"));
        AdmissionHandler.Answer answer = handler.review(AdmissionHandler.PATH_MUTATE, JSON.writeValueAsBytes(review));
        JsonNode response = JSON.readTree(answer.json()).path("response");
        assertThat(response.path("patch").isTextual()).as(new String(answer.json(), StandardCharsets.UTF_8)).isTrue();
        JsonNode patched = JsonPatch.fromJson(JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()))).apply(pod);
        assertThat(patched.path("metadata").path("annotations").path("jlxcfs.io/status").asText()).isEqualTo("injected");
        assertThat(patched.toString()).contains(source + "/proc/meminfo");
        return patched;
    }
}
