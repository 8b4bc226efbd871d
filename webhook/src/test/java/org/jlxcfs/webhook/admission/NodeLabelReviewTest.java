package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jlxcfs.webhook.admission.ReviewFixtures.Decoded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.webhook.admission.AdmissionHandler.PATH_MUTATE;
import static org.jlxcfs.webhook.admission.ReviewFixtures.*;

/**
 * {@code --require-node-label}: the golden reviews answered with it. A pod injected at CREATE gets the node selector
 * {@code jlxcfs.io/serving: "true"} (its own value for that key kept); skipped pods, ephemeral updates and pods that
 * name their node get none; the option adds nothing else to any answer; a second pass is empty.
 */
class NodeLabelReviewTest {
    private static final String KEY = "jlxcfs.io/serving";
    private static final Set<String> INJECTING_REASONS = Set.of(Reason.INJECTED.label(), Reason.CONFLICTS.label());

    static List<Object[]> reviews() {
        return GoldenReviewTest.reviews().map(a -> a.get()).toList();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("reviews")
    void goldenReviewsGetTheSelectorExactlyWhenInjectedAtCreate(String name, String path, Outcome outcome, Reason reason) {
        ObjectNode review = resource(name);
        JsonNode pod = review.path("request").path("object");
        Decoded with = review(NODE_LABEL_HANDLER, path, review);
        Decoded without = review(HANDLER, path, review);
        assertThat(with.answer().outcome()).isEqualTo(outcome);
        assertThat(with.reason()).isEqualTo(reason.label());
        assertWellFormed(with.patch());
        assertThat(withoutSelectorOps(with.patch())).as("the option adds only the node selector").isEqualTo(without.patch());

        JsonNode patched = apply(pod, with.patch());
        assertValidPod(patched);
        assertConsistent(patched);
        assertPreserved(pod, patched);
        boolean create = review.path("request").path("operation").asText().equals("CREATE");
        if (create && INJECTING_REASONS.contains(reason.label())) {
            assertThat(patched.path("spec").path("nodeSelector").path(KEY).asText()).as(name).isEqualTo("true");
        } else {
            assertThat(patched.path("spec").path("nodeSelector")).as(name + ": unchanged").isEqualTo(pod.path("spec").path("nodeSelector"));
        }
        assertThat(review(NODE_LABEL_HANDLER, path, withObject(review, patched)).patch()).as("second pass").isEmpty();
    }

    @Test
    void aPodWithoutNodeSelectorGetsTheWholeMap() {
        ArrayNode patch = review(NODE_LABEL_HANDLER, PATH_MUTATE, resource("pod-no-volumes")).patch();
        List<JsonNode> ops = selectorOps(patch);
        assertThat(ops).hasSize(1);
        assertThat(ops.getFirst().path("op").asText()).isEqualTo("add");
        assertThat(ops.getFirst().path("path").asText()).isEqualTo("/spec/nodeSelector");
        assertThat(ops.getFirst().path("value").toString()).isEqualTo("{\"jlxcfs.io/serving\":\"true\"}");
        assertThat(selectorOps(review(HANDLER, PATH_MUTATE, resource("pod-no-volumes")).patch())).as("option off").isEmpty();
    }

    @Test
    void anExistingNodeSelectorGetsTheKeyAndKeepsItsOwn() {
        ObjectNode review = resource("pod-no-volumes");
        spec(review).putObject("nodeSelector").put("disktype", "ssd").put("kubernetes.io/os", "linux");
        Decoded answer = review(NODE_LABEL_HANDLER, PATH_MUTATE, review);
        List<JsonNode> ops = selectorOps(answer.patch());
        assertThat(ops).hasSize(1);
        assertThat(ops.getFirst().path("path").asText()).isEqualTo("/spec/nodeSelector/jlxcfs.io~1serving");
        assertThat(ops.getFirst().path("value").asText()).isEqualTo("true");
        JsonNode patched = apply(review.path("request").path("object"), answer.patch());
        assertValidPod(patched);
        assertThat(patched.path("spec").path("nodeSelector").toString())
                .isEqualTo("{\"disktype\":\"ssd\",\"kubernetes.io/os\":\"linux\",\"jlxcfs.io/serving\":\"true\"}");
    }

    @Test
    void aPodsOwnValueForTheKeyIsKept() {
        ObjectNode review = resource("pod-with-volumes");
        spec(review).putObject("nodeSelector").put(KEY, "false");
        Decoded answer = review(NODE_LABEL_HANDLER, PATH_MUTATE, review);
        assertThat(answer.answer().outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(selectorOps(answer.patch())).isEmpty();
        assertThat(apply(review.path("request").path("object"), answer.patch()).path("spec").path("nodeSelector").path(KEY).asText())
                .isEqualTo("false");
    }

    @Test
    void aPodThatNamesItsNodeGetsNoSelector() {
        ObjectNode review = resource("pod-no-volumes");
        spec(review).put("nodeName", "worker-3");
        Decoded answer = review(NODE_LABEL_HANDLER, PATH_MUTATE, review);
        assertThat(answer.answer().outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(selectorOps(answer.patch())).isEmpty();
    }

    @Test
    void aPodThatMountsNoneOfOurFilesGetsNoSelector() {
        ObjectNode review = resource("pod-no-volumes");
        spec(review).putArray("volumes").addObject().put("name", "own").putObject("emptyDir");
        ArrayNode mounts = ((ObjectNode) spec(review).path("containers").get(0)).putArray("volumeMounts");
        mounts.addObject().put("name", "own").put("mountPath", "/proc");
        mounts.addObject().put("name", "own").put("mountPath", "/sys");
        Decoded answer = review(NODE_LABEL_HANDLER, PATH_MUTATE, review);
        assertThat(answer.answer().outcome()).isEqualTo(Outcome.PARTIAL); // volumes added, but not one mount
        assertThat(selectorOps(answer.patch())).isEmpty();
    }

    @Test
    void anEphemeralUpdateNeverTouchesTheSelector() {
        Decoded answer = review(NODE_LABEL_HANDLER, PATH_MUTATE, resource("ephemeral-update"));
        assertThat(answer.answer().outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(answer.patch()).allSatisfy(op -> assertThat(op.path("path").asText()).startsWith("/spec/ephemeralContainers/"));
    }

    private static ObjectNode spec(ObjectNode review) {
        return (ObjectNode) review.path("request").path("object").path("spec");
    }

    private static List<JsonNode> selectorOps(ArrayNode patch) {
        List<JsonNode> ops = new ArrayList<>();
        patch.forEach(op -> {
            if (op.path("path").asText().startsWith("/spec/nodeSelector")) ops.add(op);
        });
        return ops;
    }

    private static ArrayNode withoutSelectorOps(ArrayNode patch) {
        ArrayNode kept = MAPPER.createArrayNode();
        patch.forEach(op -> {
            if (!op.path("path").asText().startsWith("/spec/nodeSelector")) kept.add(op);
        });
        return kept;
    }
}
