package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jlxcfs.webhook.admission.ReviewFixtures.Decoded;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.webhook.admission.AdmissionHandler.PATH_MUTATE;
import static org.jlxcfs.webhook.admission.ReviewFixtures.*;

/**
 * Random pod shapes, with volumes and mounts that clash with ours by name, by hostPath, by mount path and by a parent
 * directory: the patch applies, keeps every value of the pod, yields a pod the Kubernetes model accepts with unique
 * names and paths, mounts every file wherever the container did not mount it itself, and a second pass changes nothing.
 */
class InjectionPropertyTest {
    record VolumeSpec(String name, String source) {}

    record MountSpec(int volume, String path) {}

    record ContainerSpec(List<MountSpec> mounts, boolean mountsAbsent, boolean sidecar) {}

    record PodSpec(List<VolumeSpec> volumes, boolean volumesAbsent, List<ContainerSpec> containers,
                   List<ContainerSpec> initContainers, List<ContainerSpec> ephemeralContainers, String labels,
                   String annotations, String nodeSelector, boolean nodeName, boolean requireNodeLabel) {}

    static final List<String> VOLUME_NAMES = List.of("jlxcfs-proc-meminfo", "jlxcfs-proc-meminfo-2", "jlxcfs-proc-stat",
            "jlxcfs-sys-devices-system-cpu-online", "data", "cache", "lxcfs-proc-cpuinfo");
    /** "emptyDir", "configMap", or a hostPath: ours (some spelled oddly), the seed's, another. */
    static final List<String> SOURCES = List.of("emptyDir", "configMap", "/var/lib/jlxcfs/proc/meminfo",
            "/var/lib/jlxcfs//proc/stat/", "/var/lib/jlxcfs/proc/uptime", "/var/lib/jlxcfs/sys/devices/system/cpu/online",
            "/var/lib/lxcfs/proc/meminfo", "/srv/data");
    static final List<String> MOUNT_PATHS = List.of("/proc/meminfo", "/proc/meminfo/", "/proc//stat", "/proc",
            "/sys/devices/system", "/sys/devices/system/cpu/./online", "/data", "/var/run/app", "/", "/proc/cpuinfo",
            "/proc/uptime", "/sys/devices/system/cpu");

    /** Up to 4 volumes of distinct names, up to 4 containers, 2 init and 2 ephemeral ones, each choice uniform. */
    static PodSpec pod(Draws draws) {
        return new PodSpec(
                draws.uniqueList(0, 4, () -> new VolumeSpec(draws.oneOf(VOLUME_NAMES), draws.oneOf(SOURCES)),
                        VolumeSpec::name),
                draws.bool(),
                draws.list(0, 4, () -> container(draws)),
                draws.list(0, 2, () -> container(draws)),
                draws.list(0, 2, () -> container(draws)),
                draws.oneOf(List.of("none", "empty", "app", "opt-in", "opt-out")),
                draws.oneOf(List.of("none", "empty", "other", "stale-status", "injected-status", "legacy-opt-out")),
                draws.oneOf(List.of("none", "empty", "other", "ours-true", "ours-false")),
                draws.between(0, 7) == 0,
                draws.bool());
    }

    private static ContainerSpec container(Draws draws) {
        return new ContainerSpec(
                draws.list(0, 4, () -> new MountSpec(draws.between(0, 3), draws.oneOf(MOUNT_PATHS))),
                draws.bool(),
                draws.bool());
    }

    @TestFactory
    Stream<DynamicTest> injectionAppliesKeepsThePodAndIsIdempotent() {
        return PropertyTrials.check(200, InjectionPropertyTest::pod, spec -> "pod: " + pretty(build(spec)),
                InjectionPropertyTest::injectionAppliesKeepsThePodAndIsIdempotent);
    }

    private static void injectionAppliesKeepsThePodAndIsIdempotent(PodSpec spec) {
        ObjectNode pod = build(spec);
        assertValidPod(pod);
        ObjectNode review = createReview(pod);

        AdmissionHandler handler = spec.requireNodeLabel() ? NODE_LABEL_HANDLER : HANDLER;
        Decoded first = review(handler, PATH_MUTATE, review);
        assertWellFormed(first.patch());
        JsonNode patched = apply(pod, first.patch());
        assertValidPod(patched);
        assertConsistent(patched);
        assertPreserved(pod, patched);
        if (first.answer().outcome() == Outcome.INJECTED || first.answer().outcome() == Outcome.PARTIAL) {
            assertEveryFileMountedUnlessTheContainerMountsIt(pod, patched);
            assertThat(status(patched)).isNotNull();
        }

        assertNodeSelector(spec, first, pod, patched);

        Decoded second = review(handler, PATH_MUTATE, withObject(review, patched));
        assertThat(second.patch()).as("second pass").isEmpty();

        // a debug container added later gets the mounts, the ones already there are not touched
        ObjectNode withDebugger = patched.deepCopy();
        ArrayNode ephemeral = ((ObjectNode) withDebugger.path("spec")).withArray("ephemeralContainers");
        ObjectNode debugger = ephemeral.addObject();
        debugger.put("name", "debugger");
        debugger.put("image", "busybox:1.36");
        if (spec.volumes().size() % 2 == 0) {
            debugger.putArray("volumeMounts").addObject().put("name", "kube-api-access").put("mountPath", "/proc/meminfo");
            ((ObjectNode) withDebugger.path("spec")).withArray("volumes").addObject()
                    .put("name", "kube-api-access").putObject("emptyDir");
        }
        ObjectNode update = updateReview(withDebugger, patched);
        Decoded debug = review(handler, PATH_MUTATE, update);
        assertWellFormed(debug.patch());
        assertThat(debug.patch()).allSatisfy(op -> assertThat(op.path("path").asText())
                .startsWith("/spec/ephemeralContainers/" + (ephemeral.size() - 1) + "/volumeMounts"));
        JsonNode debugged = apply(withDebugger, debug.patch());
        assertValidPod(debugged);
        assertConsistent(debugged);
        assertPreserved(withDebugger, debugged);
        assertThat(review(handler, PATH_MUTATE, withObject(update, debugged)).patch()).as("second pass of the update").isEmpty();
    }

    /**
     * With --require-node-label, a pod that was not skipped, names no node and mounts one of our files after the patch
     * has jlxcfs.io/serving in its node selector (its own value if it had one, else "true"); every other pod's node
     * selector is as it was.
     */
    private static void assertNodeSelector(PodSpec spec, Decoded answer, JsonNode original, JsonNode patched) {
        Set<String> ours = new HashSet<>();
        CONFIG.injectedFiles().forEach(f -> ours.add(f.hostPath()));
        Set<String> ourVolumes = new HashSet<>();
        patched.path("spec").path("volumes").forEach(v -> {
            String hostPath = v.path("hostPath").path("path").asText(null);
            if (hostPath != null && ours.contains(MountPaths.normalise(hostPath))) ourVolumes.add(v.path("name").asText());
        });
        boolean[] mountsOurs = {false};
        forEachContainer(patched, c -> c.path("volumeMounts").forEach(m -> mountsOurs[0] |= ourVolumes.contains(m.path("name").asText())));
        boolean selected = Set.of(Reason.INJECTED.label(), Reason.CONFLICTS.label(), Reason.ALREADY_INJECTED.label())
                .contains(answer.reason());
        JsonNode before = original.path("spec").path("nodeSelector");
        JsonNode after = patched.path("spec").path("nodeSelector");
        if (spec.requireNodeLabel() && selected && !spec.nodeName() && mountsOurs[0]) {
            String expected = before.has("jlxcfs.io/serving") ? before.path("jlxcfs.io/serving").asText() : "true";
            assertThat(after.path("jlxcfs.io/serving").asText(null)).as("node selector").isEqualTo(expected);
            before.properties().forEach(e -> assertThat(after.get(e.getKey())).as("own selector kept").isEqualTo(e.getValue()));
            assertThat(after.size()).isEqualTo(before.size() + (before.has("jlxcfs.io/serving") ? 0 : 1));
        } else {
            assertThat(after).as("node selector untouched").isEqualTo(before);
        }
    }

    /** Every container sees every file from our source, unless it mounted that path or a directory above it itself. */
    private static void assertEveryFileMountedUnlessTheContainerMountsIt(JsonNode original, JsonNode patched) {
        forEachContainer(original, container -> {
            String name = container.path("name").asText();
            for (InjectedFile file : CONFIG.injectedFiles()) {
                boolean own = false;
                for (JsonNode mount : container.path("volumeMounts")) {
                    String path = MountPaths.normalise(mount.path("mountPath").asText());
                    own |= path.equals(file.mountPath()) || MountPaths.isProperParent(path, file.mountPath());
                }
                if (!own) {
                    assertThat(hostPathAt(patched, name, file.mountPath())).as("%s in %s", file.mountPath(), name)
                            .isEqualTo(file.hostPath());
                    assertThat(mountAt(patched, name, file.mountPath()).path("readOnly").asBoolean()).isTrue();
                }
            }
        });
    }

    static ObjectNode build(PodSpec spec) {
        ObjectNode pod = MAPPER.createObjectNode();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        ObjectNode metadata = pod.putObject("metadata");
        metadata.put("generateName", "random-");
        metadata.put("namespace", "apps");
        switch (spec.labels()) {
            case "empty" -> metadata.putObject("labels");
            case "app" -> metadata.putObject("labels").put("app", "random");
            case "opt-in" -> metadata.putObject("labels").put("jlxcfs.io/inject", "enabled");
            case "opt-out" -> metadata.putObject("labels").put("jlxcfs.io/inject", "disabled");
            default -> { }
        }
        switch (spec.annotations()) {
            case "empty" -> metadata.putObject("annotations");
            case "other" -> metadata.putObject("annotations").put("example.com/a~b", "x");
            case "stale-status" -> metadata.putObject("annotations").put("jlxcfs.io/status", "partial: stale");
            case "injected-status" -> metadata.putObject("annotations").put("jlxcfs.io/status", "injected");
            case "legacy-opt-out" -> metadata.putObject("annotations").put("lxcfs-admission-webhook.aliyun.com/mutate", "off");
            default -> { }
        }
        ObjectNode podSpec = pod.putObject("spec");
        switch (spec.nodeSelector()) {
            case "empty" -> podSpec.putObject("nodeSelector");
            case "other" -> podSpec.putObject("nodeSelector").put("disktype", "ssd");
            case "ours-true" -> podSpec.putObject("nodeSelector").put("jlxcfs.io/serving", "true");
            case "ours-false" -> podSpec.putObject("nodeSelector").put("jlxcfs.io/serving", "false").put("zone", "a");
            default -> { }
        }
        if (spec.nodeName()) {
            podSpec.put("nodeName", "worker-1");
        }
        List<String> volumeNames = new ArrayList<>();
        if (!(spec.volumes().isEmpty() && spec.volumesAbsent())) {
            ArrayNode volumes = podSpec.putArray("volumes");
            for (VolumeSpec volume : spec.volumes()) {
                ObjectNode node = volumes.addObject().put("name", volume.name());
                switch (volume.source()) {
                    case "emptyDir" -> node.putObject("emptyDir");
                    case "configMap" -> node.putObject("configMap").put("name", "settings");
                    default -> node.putObject("hostPath").put("path", volume.source());
                }
                volumeNames.add(volume.name());
            }
        }
        containers(podSpec, "containers", "c", spec.containers(), volumeNames);
        if (!spec.initContainers().isEmpty()) {
            containers(podSpec, "initContainers", "i", spec.initContainers(), volumeNames);
        }
        if (!spec.ephemeralContainers().isEmpty()) {
            containers(podSpec, "ephemeralContainers", "e", spec.ephemeralContainers(), volumeNames);
        }
        return pod;
    }

    private static void containers(ObjectNode podSpec, String field, String prefix, List<ContainerSpec> specs,
                                   List<String> volumeNames) {
        ArrayNode array = podSpec.putArray(field);
        for (int i = 0; i < specs.size(); i++) {
            ContainerSpec spec = specs.get(i);
            ObjectNode container = array.addObject().put("name", prefix + i).put("image", "example/app:1");
            if (spec.sidecar() && field.equals("initContainers")) {
                container.put("restartPolicy", "Always");
            }
            Set<String> paths = new HashSet<>();
            List<ObjectNode> mounts = new ArrayList<>();
            for (MountSpec mount : spec.mounts()) {
                if (!volumeNames.isEmpty() && paths.add(MountPaths.normalise(mount.path()))) {
                    mounts.add(MAPPER.createObjectNode().put("name", volumeNames.get(mount.volume() % volumeNames.size()))
                            .put("mountPath", mount.path()));
                }
            }
            if (!(mounts.isEmpty() && spec.mountsAbsent())) {
                container.putArray("volumeMounts").addAll(mounts);
            }
        }
    }

    static ObjectNode createReview(JsonNode pod) {
        ObjectNode review = MAPPER.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", "b7d0c5a2-0000-4000-8000-000000000001");
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
        request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
        request.put("namespace", "apps");
        request.put("operation", "CREATE");
        request.set("object", pod);
        return review;
    }

    static ObjectNode updateReview(JsonNode pod, JsonNode oldPod) {
        ObjectNode review = createReview(pod);
        ObjectNode request = (ObjectNode) review.path("request");
        request.put("operation", "UPDATE");
        request.put("subResource", "ephemeralcontainers");
        request.set("oldObject", oldPod);
        return review;
    }
}
