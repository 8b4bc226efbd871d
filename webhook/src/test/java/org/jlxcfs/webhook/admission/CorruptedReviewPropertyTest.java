package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jlxcfs.webhook.admission.ReviewFixtures.Decoded;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.webhook.admission.ReviewFixtures.*;

/**
 * Golden reviews with values replaced anywhere by values of the wrong type or a meaningful word: the handler never
 * throws, always allows, answers 400 only without a uid, and whatever patch it sends applies to the object it got.
 */
class CorruptedReviewPropertyTest {
    static final List<String> GOLDEN = List.of("pod-with-volumes", "pod-existing-meminfo-mount", "pod-init-and-sidecar",
            "ephemeral-update", "pod-volume-name-taken", "windows-node-selector", "opted-out-legacy-annotation");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final List<JsonNode> REPLACEMENTS = List.of(NODES.nullNode(), NODES.textNode(""), NODES.textNode("x"),
            NODES.numberNode(-1), NODES.booleanNode(true), NODES.arrayNode(), NODES.objectNode(),
            NODES.textNode("/proc/meminfo"), NODES.textNode("/proc"), NODES.textNode("jlxcfs-proc-meminfo"),
            NODES.textNode("Pod"), NODES.textNode("CREATE"), NODES.textNode("windows"), NODES.textNode("kube-system"),
            NODES.textNode("ephemeralcontainers"), NODES.arrayNode().add(NODES.objectNode()), NODES.textNode("a/b~c"));

    record Corruption(int at, JsonNode value) {}

    /** A golden review with 1 to 3 of its members or elements replaced; {@code review} is the corrupted one. */
    record CorruptedReview(String golden, List<Corruption> corruptions, ObjectNode review) {}

    /** A golden review (uniform), 1 to 3 corruptions, each at a uniform index taken modulo the slots there are. */
    static CorruptedReview corruptedReview(Draws draws) {
        String name = draws.oneOf(GOLDEN);
        List<Corruption> corruptions = draws.list(1, 3,
                () -> new Corruption(draws.between(0, 100_000), draws.oneOf(REPLACEMENTS)));
        ObjectNode review = resource(name);
        for (Corruption corruption : corruptions) {
            List<JsonNode[]> slots = new ArrayList<>(); // {parent, key-or-index}
            collect(review, slots);
            JsonNode[] slot = slots.get(corruption.at() % slots.size());
            if (slot[0] instanceof ObjectNode object) {
                object.set(slot[1].asText(), corruption.value().deepCopy());
            } else {
                ((ArrayNode) slot[0]).set(slot[1].asInt(), corruption.value().deepCopy());
            }
        }
        return new CorruptedReview(name, corruptions, review);
    }

    @TestFactory
    Stream<DynamicTest> aCorruptedReviewIsAllowedAndItsPatchApplies() {
        return PropertyTrials.check(300, CorruptedReviewPropertyTest::corruptedReview,
                sample -> sample.golden() + " with " + sample.corruptions() + "\nreview: " + pretty(sample.review()),
                CorruptedReviewPropertyTest::aCorruptedReviewIsAllowedAndItsPatchApplies);
    }

    private static void aCorruptedReviewIsAllowedAndItsPatchApplies(CorruptedReview sample) {
        ObjectNode review = sample.review();
        String name = sample.golden();
        String path = name.startsWith("opt") ? AdmissionHandler.PATH_OPT_IN : AdmissionHandler.PATH_MUTATE;
        Decoded answer = decode(HANDLER.review(path, bytes(review)));
        JsonNode uid = review.path("request").path("uid");
        boolean uidReadable = uid.isTextual() && !uid.asText().isEmpty();
        assertThat(answer.answer().status()).isEqualTo(uidReadable ? 200 : 400);
        assertThat(answer.response().path("uid").asText()).isEqualTo(uidReadable ? uid.asText() : "");
        if (!answer.patch().isEmpty()) {
            assertWellFormed(answer.patch());
            apply(review.path("request").path("object"), answer.patch());
        }
        if (answer.answer().outcome() == Outcome.INVALID) {
            assertThat(answer.warnings()).isNotEmpty();
        }
    }

    /** Every member and element below the root, as (container, key or index). */
    private static void collect(JsonNode node, List<JsonNode[]> slots) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                slots.add(new JsonNode[]{node, NODES.textNode(field.getKey())});
                collect(field.getValue(), slots);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                slots.add(new JsonNode[]{node, NODES.numberNode(i)});
                collect(node.get(i), slots);
            }
        }
    }
}
