package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jlxcfs.webhook.admission.ReviewFixtures.Decoded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.webhook.admission.AdmissionHandler.PATH_MUTATE;
import static org.jlxcfs.webhook.admission.AdmissionHandler.PATH_OPT_IN;
import static org.jlxcfs.webhook.admission.ReviewFixtures.*;

/**
 * AdmissionReviews as an API server sends them ({@code src/test/resources/reviews}), each answered, the patch applied
 * by an independent RFC 6902 library, the patched pod checked against the official Kubernetes model, then reviewed
 * again (the second patch must be empty).
 */
class GoldenReviewTest {
    static final List<String> DEFAULT_MOUNTS = CONFIG.injectedFiles().stream().map(InjectedFile::mountPath).toList();

    static Stream<Arguments> reviews() {
        return Stream.of(
                Arguments.of("pod-no-volumes", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("pod-with-volumes", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("pod-existing-meminfo-mount", PATH_MUTATE, Outcome.PARTIAL, Reason.CONFLICTS),
                Arguments.of("pod-volume-name-taken", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("pod-init-and-sidecar", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("ephemeral-update", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("ephemeral-update-no-volumes", PATH_MUTATE, Outcome.SKIPPED, Reason.NO_VOLUMES),
                Arguments.of("mirror-pod", PATH_MUTATE, Outcome.SKIPPED, Reason.MIRROR_POD),
                Arguments.of("opted-out-label", PATH_MUTATE, Outcome.SKIPPED, Reason.OPTED_OUT),
                Arguments.of("opted-out-legacy-annotation", PATH_MUTATE, Outcome.SKIPPED, Reason.OPTED_OUT),
                Arguments.of("opt-in-labelled", PATH_OPT_IN, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("opt-in-unlabelled", PATH_OPT_IN, Outcome.SKIPPED, Reason.NOT_OPTED_IN),
                Arguments.of("kube-system", PATH_MUTATE, Outcome.SKIPPED, Reason.SYSTEM_NAMESPACE),
                Arguments.of("own-namespace", PATH_MUTATE, Outcome.SKIPPED, Reason.OWN_NAMESPACE),
                Arguments.of("windows", PATH_MUTATE, Outcome.SKIPPED, Reason.WINDOWS),
                Arguments.of("windows-node-selector", PATH_MUTATE, Outcome.SKIPPED, Reason.WINDOWS),
                Arguments.of("dry-run", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED),
                Arguments.of("namespace-from-request", PATH_MUTATE, Outcome.INJECTED, Reason.INJECTED));
    }

    @ParameterizedTest(name = "{0} on {1}: {2} {3}")
    @MethodSource("reviews")
    void answersApplyValidateAndAreIdempotent(String name, String path, Outcome outcome, Reason reason) {
        ObjectNode review = resource(name);
        JsonNode pod = review.path("request").path("object");
        assertValidPod(pod); // the fixture itself is a pod the API server could send

        Decoded first = review(path, review);
        assertThat(first.answer().status()).isEqualTo(200);
        assertThat(first.review().path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
        assertThat(first.review().path("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(first.response().path("uid").asText()).isEqualTo(review.path("request").path("uid").asText());
        assertThat(first.answer().outcome()).isEqualTo(outcome);
        assertThat(first.reason()).isEqualTo(reason.label());
        assertWellFormed(first.patch());

        JsonNode patched = apply(pod, first.patch());
        assertValidPod(patched);
        assertConsistent(patched);
        assertPreserved(pod, patched);

        Decoded second = review(path, withObject(review, patched));
        assertThat(second.patch()).as("second pass over the patched pod").isEmpty();
        assertThat(second.answer().outcome()).isIn(Outcome.SKIPPED);
    }

    @Test
    void podWithoutVolumesGetsWholeArraysAndAllMounts() {
        Decoded answer = review(PATH_MUTATE, resource("pod-no-volumes"));
        ArrayNode patch = answer.patch();
        assertThat(patch.get(0).path("path").asText()).isEqualTo("/spec/volumes");
        assertThat(patch.get(0).path("value")).hasSize(8);
        assertThat(patch.get(1).path("path").asText()).isEqualTo("/spec/containers/0/volumeMounts");
        assertThat(patch.get(2).path("path").asText()).isEqualTo("/metadata/annotations");
        assertThat(patch.get(2).path("value").path("jlxcfs.io/status").asText()).isEqualTo("injected");
        assertThat(patch).hasSize(3);

        JsonNode pod = apply(resource("pod-no-volumes").path("request").path("object"), patch);
        JsonNode meminfo = volumes(pod).get("jlxcfs-proc-meminfo");
        assertThat(meminfo.path("hostPath").path("path").asText()).isEqualTo("/var/lib/jlxcfs/proc/meminfo");
        assertThat(meminfo.path("hostPath").path("type").asText()).isEqualTo("File");
        assertThat(volumes(pod)).containsKey("jlxcfs-sys-devices-system-cpu-online");
        for (String path : DEFAULT_MOUNTS) {
            assertThat(mountAt(pod, "app", path).path("readOnly").asBoolean()).as(path).isTrue();
            assertThat(hostPathAt(pod, "app", path)).isEqualTo("/var/lib/jlxcfs" + path);
        }
        assertThat(answer.warnings()).isEmpty();
    }

    @Test
    void podWithVolumesIsAppendedToAndKeepsItsAnnotations() {
        Decoded answer = review(PATH_MUTATE, resource("pod-with-volumes"));
        assertThat(answer.patch()).allSatisfy(op -> assertThat(op.path("op").asText()).isEqualTo("add"));
        assertThat(answer.patch()).filteredOn(op -> op.path("path").asText().equals("/spec/volumes/-")).hasSize(8);
        assertThat(answer.patch()).filteredOn(op -> op.path("path").asText().equals("/spec/containers/0/volumeMounts/-"))
                .hasSize(8);
        assertThat(answer.patch().get(answer.patch().size() - 1).path("path").asText()).isEqualTo(STATUS_POINTER);
        JsonNode pod = apply(resource("pod-with-volumes").path("request").path("object"), answer.patch());
        assertThat(pod.path("metadata").path("annotations").path("example.com/a~b/c").asText()).isEqualTo("tilde and slash");
        assertThat(status(pod)).isEqualTo("injected");
        assertThat(mountAt(pod, "app", "/var/cache/app")).isNotNull();
    }

    @Test
    void existingMountsOfAPathOrItsParentAreKept() {
        Decoded answer = review(PATH_MUTATE, resource("pod-existing-meminfo-mount"));
        JsonNode pod = apply(resource("pod-existing-meminfo-mount").path("request").path("object"), answer.patch());

        assertThat(hostPathAt(pod, "app", "/proc/meminfo")).as("the app's own mount wins").isEqualTo("/var/lib/lxcfs/proc/meminfo");
        assertThat(hostPathAt(pod, "app", "/proc/cpuinfo")).isEqualTo("/var/lib/jlxcfs/proc/cpuinfo");
        assertThat(hostPathAt(pod, "app", "/sys/devices/system/cpu/online")).isEqualTo("/var/lib/jlxcfs/sys/devices/system/cpu/online");
        assertThat(mountAt(pod, "metrics", "/sys/devices/system/cpu/online")).as("below the metrics' own /sys mount").isNull();
        assertThat(hostPathAt(pod, "metrics", "/proc/meminfo")).isEqualTo("/var/lib/jlxcfs/proc/meminfo");
        assertThat(status(pod)).isEqualTo("partial: /proc/meminfo in app: it mounts its own; "
                + "/sys/devices/system/cpu/online in metrics: it mounts /sys/devices/system");
        assertThat(answer.warnings()).containsExactly(
                "jlxcfs: /proc/meminfo not mounted in container app: it mounts its own",
                "jlxcfs: /sys/devices/system/cpu/online not mounted in container metrics: it mounts /sys/devices/system");
    }

    @Test
    void aVolumeNameTakenByAnotherVolumeIsLeftAlone() {
        ObjectNode review = resource("pod-volume-name-taken");
        Decoded answer = review(PATH_MUTATE, review);
        JsonNode pod = apply(review.path("request").path("object"), answer.patch());
        assertThat(volumes(pod).get("jlxcfs-proc-meminfo").path("configMap").path("name").asText()).isEqualTo("app-templates");
        assertThat(volumes(pod).get("jlxcfs-proc-meminfo-2").path("hostPath").path("path").asText())
                .isEqualTo("/var/lib/jlxcfs/proc/meminfo");
        assertThat(hostPathAt(pod, "app", "/proc/meminfo")).isEqualTo("/var/lib/jlxcfs/proc/meminfo");
        assertThat(mountAt(pod, "app", "/etc/app/meminfo-template").path("name").asText()).isEqualTo("jlxcfs-proc-meminfo");
        assertThat(answer.warnings()).containsExactly(
                "jlxcfs: volume name jlxcfs-proc-meminfo is taken in this pod; using jlxcfs-proc-meminfo-2");
        assertThat(status(pod)).isEqualTo("injected");
    }

    @Test
    void initContainersAndSidecarsAreMounted() {
        ObjectNode review = resource("pod-init-and-sidecar");
        JsonNode pod = apply(review.path("request").path("object"), review(PATH_MUTATE, review).patch());
        for (String container : List.of("app", "migrate", "log-shipper")) {
            for (String path : DEFAULT_MOUNTS) {
                assertThat(hostPathAt(pod, container, path)).as("%s in %s", path, container).isEqualTo("/var/lib/jlxcfs" + path);
            }
        }
        assertThat(container(pod, "log-shipper").path("restartPolicy").asText()).isEqualTo("Always");
    }

    @Test
    void anEphemeralUpdateMountsOnlyTheNewContainerAndAddsNoVolume() {
        ObjectNode review = resource("ephemeral-update");
        Decoded answer = review(PATH_MUTATE, review);
        assertThat(answer.patch()).allSatisfy(op -> assertThat(op.path("path").asText())
                .isEqualTo("/spec/ephemeralContainers/1/volumeMounts"));
        assertThat(answer.patch()).hasSize(1);
        JsonNode pod = apply(review.path("request").path("object"), answer.patch());
        for (String path : DEFAULT_MOUNTS) {
            assertThat(hostPathAt(pod, "debugger-9xkq4", path)).isEqualTo("/var/lib/jlxcfs" + path);
            assertThat(mountAt(pod, "debugger-old", path)).as("an existing ephemeral container cannot change").isNull();
        }
    }

    @Test
    void anEphemeralUpdateOfAPodWithoutOurVolumesChangesNothing() {
        Decoded answer = review(PATH_MUTATE, resource("ephemeral-update-no-volumes"));
        assertThat(answer.patch()).isEmpty();
        assertThat(answer.warnings()).isEmpty();
    }

    @Test
    void optedOutPodsAreAnnotatedOnly() {
        for (String name : List.of("opted-out-label", "opted-out-legacy-annotation")) {
            ObjectNode review = resource(name);
            Decoded answer = review(PATH_MUTATE, review);
            assertThat(answer.patch()).as(name).hasSize(1);
            JsonNode pod = apply(review.path("request").path("object"), answer.patch());
            assertThat(status(pod)).isEqualTo("skipped: opted-out");
            assertThat(volumes(pod)).isEmpty();
        }
    }

    @Test
    void windowsPodsAreAnnotatedAndAStaleStatusIsReplaced() {
        Decoded answer = review(PATH_MUTATE, resource("windows-node-selector"));
        assertThat(answer.patch()).hasSize(1);
        assertThat(answer.patch().get(0).path("op").asText()).isEqualTo("replace");
        assertThat(answer.patch().get(0).path("path").asText()).isEqualTo(STATUS_POINTER);
        assertThat(answer.patch().get(0).path("value").asText()).isEqualTo("skipped: windows");
    }

    @Test
    void podsNeverInjectedGetNoPatchAndNoAnnotation() {
        for (String name : List.of("mirror-pod", "kube-system", "own-namespace", "opt-in-unlabelled")) {
            String path = name.startsWith("opt-in") ? PATH_OPT_IN : PATH_MUTATE;
            Decoded answer = review(path, resource(name));
            assertThat(answer.patch()).as(name).isEmpty();
            assertThat(answer.response().has("patch")).isFalse();
            assertThat(answer.warnings()).isEmpty();
        }
    }

    @Test
    void theOptInPathInjectsALabelledPodButTheNamespacePathHonoursAnOptOut() {
        assertThat(review(PATH_OPT_IN, resource("opt-in-labelled")).answer().outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(review(PATH_OPT_IN, resource("opted-out-label")).reason()).isEqualTo(Reason.NOT_OPTED_IN.label());
        assertThat(review(PATH_MUTATE, resource("opt-in-unlabelled")).reason()).isEqualTo(Reason.INJECTED.label());
    }

    @Test
    void aDryRunIsAnsweredLikeTheRealRequest() {
        ObjectNode dry = resource("dry-run");
        ObjectNode real = dry.deepCopy();
        ((ObjectNode) real.path("request")).put("dryRun", false);
        assertThat(review(PATH_MUTATE, dry).patch()).isEqualTo(review(PATH_MUTATE, real).patch());
    }

    @Test
    void concurrentReviewsGetTheSameAnswers() throws Exception {
        List<String> names = reviews().map(a -> (String) a.get()[0]).toList();
        java.util.Map<String, byte[]> bodies = new java.util.HashMap<>();
        java.util.Map<String, byte[]> expected = new java.util.HashMap<>();
        for (String name : names) {
            bodies.put(name, bytes(resource(name)));
            expected.put(name, HANDLER.review(PATH_MUTATE, bodies.get(name)).json());
        }
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        for (String name : names) {
                            if (!java.util.Arrays.equals(HANDLER.review(PATH_MUTATE, bodies.get(name)).json(), expected.get(name))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (var result : results) {
                assertThat(result.get(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void theNamespaceComesFromTheRequestWhenTheObjectHasNone() {
        ObjectNode review = resource("namespace-from-request");
        ((ObjectNode) review.path("request")).put("namespace", "kube-system");
        assertThat(review(PATH_MUTATE, review).reason()).isEqualTo(Reason.SYSTEM_NAMESPACE.label());
    }
}
