package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jlxcfs.webhook.admission.ReviewFixtures.Decoded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jlxcfs.webhook.admission.AdmissionHandler.PATH_MUTATE;
import static org.jlxcfs.webhook.admission.ReviewFixtures.*;

/** Whatever arrives, the answer is an AdmissionReview that lets the pod through, and nothing is thrown. */
class BadInputTest {
    static final String UID = "0d5c3b6e-8c1f-4a8e-9e61-000000000001"; // the uid of pod-no-volumes.json

    static Stream<Arguments> unreadableBodies() {
        byte[] review = bytes(resource("pod-no-volumes"));
        return Stream.of(
                Arguments.of("empty body", new byte[0], Reason.EMPTY_BODY),
                Arguments.of("truncated", Arrays.copyOf(review, review.length / 2), Reason.MALFORMED_JSON),
                Arguments.of("truncated by one byte", Arrays.copyOf(review, review.length - 1), Reason.MALFORMED_JSON),
                Arguments.of("not JSON", utf8("<AdmissionReview/>"), Reason.MALFORMED_JSON),
                Arguments.of("trailing garbage", utf8("{\"kind\":\"AdmissionReview\"} {}"), Reason.MALFORMED_JSON),
                Arguments.of("invalid UTF-8", new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}, Reason.MALFORMED_JSON),
                Arguments.of("array", utf8("[]"), Reason.NOT_A_REVIEW),
                Arguments.of("null", utf8("null"), Reason.NOT_A_REVIEW),
                Arguments.of("string", utf8("\"AdmissionReview\""), Reason.NOT_A_REVIEW),
                Arguments.of("number", utf8("42"), Reason.NOT_A_REVIEW),
                Arguments.of("empty object", utf8("{}"), Reason.WRONG_KIND),
                Arguments.of("deep nesting", utf8("[".repeat(100_000)), Reason.MALFORMED_JSON),
                Arguments.of("deep objects", utf8("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000)), Reason.MALFORMED_JSON),
                Arguments.of("huge number", utf8("{\"n\":" + "9".repeat(2_000_000) + "}"), Reason.MALFORMED_JSON),
                Arguments.of("huge string", utf8("{\"s\":\"" + "x".repeat(25_000_000) + "\"}"), Reason.MALFORMED_JSON));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadableBodies")
    void anUnreadableBodyIsA400WithAnAllowingReview(String name, byte[] body, Reason reason) {
        AdmissionHandler.Answer answer = HANDLER.review(PATH_MUTATE, body);
        Decoded decoded = decode(answer);
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(answer.reason()).isEqualTo(reason.label());
        assertThat(decoded.review().path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
        assertThat(decoded.review().path("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(decoded.response().path("uid").asText("missing")).isEmpty();
        assertThat(decoded.patch()).isEmpty();
        assertThat(decoded.warnings()).singleElement().asString().startsWith("jlxcfs: ").hasSizeLessThanOrEqualTo(120);
    }

    static Stream<Arguments> oddReviews() {
        return Stream.of(
                odd("wrong kind", r -> r.put("kind", "AdmissionRequest"), 200, Outcome.INVALID, Reason.WRONG_KIND),
                odd("kind missing", r -> r.remove("kind"), 200, Outcome.INVALID, Reason.WRONG_KIND),
                odd("wrong apiVersion", r -> r.put("apiVersion", "admission.k8s.io/v2"), 200, Outcome.INVALID, Reason.WRONG_VERSION),
                odd("apiVersion a number", r -> r.put("apiVersion", 1), 200, Outcome.INVALID, Reason.WRONG_VERSION),
                odd("v1beta1 review", r -> r.put("apiVersion", "admission.k8s.io/v1beta1"), 200, Outcome.INVALID, Reason.WRONG_VERSION),
                odd("request missing", r -> r.remove("request"), 400, Outcome.INVALID, Reason.NOT_A_REVIEW),
                odd("request a string", r -> r.put("request", "pod"), 400, Outcome.INVALID, Reason.NOT_A_REVIEW),
                odd("uid missing", r -> request(r).remove("uid"), 400, Outcome.INVALID, Reason.MISSING_UID),
                odd("uid empty", r -> request(r).put("uid", ""), 400, Outcome.INVALID, Reason.MISSING_UID),
                odd("uid a number", r -> request(r).put("uid", 7), 400, Outcome.INVALID, Reason.MISSING_UID),
                odd("object missing", r -> request(r).remove("object"), 200, Outcome.INVALID, Reason.MISSING_OBJECT),
                odd("object null", r -> request(r).putNull("object"), 200, Outcome.INVALID, Reason.MISSING_OBJECT),
                odd("object a Service", r -> request(r).set("object", MAPPER.createObjectNode().put("apiVersion", "v1")
                        .put("kind", "Service").set("spec", MAPPER.createObjectNode().put("type", "ClusterIP"))),
                        200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("spec missing", r -> pod(r).remove("spec"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("containers an object", r -> spec(r).set("containers", MAPPER.createObjectNode().put("name", "app")),
                        200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("container a string", r -> spec(r).putArray("containers").add("app"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("container name a number", r -> container0(r).put("name", 5), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("container name missing", r -> container0(r).remove("name"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("volumeMounts a string", r -> container0(r).put("volumeMounts", "/proc"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("mountPath a boolean", r -> container0(r).putArray("volumeMounts").addObject().put("name", "x")
                        .put("mountPath", true), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("volumes an object", r -> spec(r).putObject("volumes"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("hostPath path a number", r -> spec(r).putArray("volumes").addObject().put("name", "h")
                        .putObject("hostPath").put("path", 3), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("labels an array", r -> metadata(r).putArray("labels"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("annotations a string", r -> metadata(r).put("annotations", "x"), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("metadata a number", r -> pod(r).put("metadata", 1), 200, Outcome.INVALID, Reason.MALFORMED_POD),
                odd("unknown path", null, 200, Outcome.INVALID, Reason.UNKNOWN_PATH),
                odd("a Service review", r -> request(r).putObject("kind").put("group", "").put("version", "v1")
                        .put("kind", "Service"), 200, Outcome.SKIPPED, Reason.NOT_A_POD),
                odd("a Deployment review", r -> request(r).putObject("kind").put("group", "apps").put("version", "v1")
                        .put("kind", "Pod"), 200, Outcome.SKIPPED, Reason.NOT_A_POD),
                odd("request kind missing", r -> {
                    request(r).remove("kind");
                    request(r).remove("resource");
                }, 200, Outcome.SKIPPED, Reason.NOT_A_POD),
                odd("DELETE", r -> {
                    request(r).put("operation", "DELETE");
                    request(r).set("oldObject", pod(r));
                    request(r).putNull("object");
                }, 200, Outcome.SKIPPED, Reason.OTHER_OPERATION),
                odd("CONNECT", r -> request(r).put("operation", "CONNECT"), 200, Outcome.SKIPPED, Reason.OTHER_OPERATION),
                odd("UPDATE", r -> request(r).put("operation", "UPDATE"), 200, Outcome.SKIPPED, Reason.OTHER_OPERATION),
                odd("operation missing", r -> request(r).remove("operation"), 200, Outcome.SKIPPED, Reason.OTHER_OPERATION),
                odd("CREATE of a subresource", r -> request(r).put("subResource", "binding"), 200, Outcome.SKIPPED,
                        Reason.OTHER_OPERATION));
    }

    private static Arguments odd(String name, Consumer<ObjectNode> change, int status, Outcome outcome, Reason reason) {
        return Arguments.of(name, change, status, outcome, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oddReviews")
    void anOddReviewIsAllowedUnchanged(String name, Consumer<ObjectNode> change, int status, Outcome outcome, Reason reason) {
        ObjectNode review = resource("pod-no-volumes");
        if (change != null) {
            change.accept(review);
        }
        AdmissionHandler.Answer answer = HANDLER.review(change == null ? "/validate" : PATH_MUTATE, bytes(review));
        Decoded decoded = decode(answer);
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.outcome()).isEqualTo(outcome);
        assertThat(answer.reason()).isEqualTo(reason.label());
        assertThat(decoded.patch()).isEmpty();
        assertThat(decoded.response().path("uid").asText()).isEqualTo(status == 200 ? UID : "");
        if (outcome == Outcome.INVALID) {
            assertThat(decoded.warnings()).singleElement().asString().startsWith("jlxcfs: ");
        } else {
            assertThat(decoded.warnings()).isEmpty();
        }
    }

    @Test
    void aV1beta1ReviewIsAnsweredInItsOwnVersionSoTheOldServerLetsThePodIn() {
        ObjectNode review = resource("pod-no-volumes").put("apiVersion", "admission.k8s.io/v1beta1");
        Decoded decoded = decode(HANDLER.review(PATH_MUTATE, bytes(review)));
        assertThat(decoded.review().path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1beta1");
        assertThat(decoded.response().path("uid").asText()).isEqualTo(UID);
    }

    @Test
    void hugeAndHostileStringsInAPodAreHandledAndWarningsStayShort() {
        ObjectNode review = resource("pod-existing-meminfo-mount");
        String hugeName = "app-" + "\u0007\n".repeat(10) + "x".repeat(5_000_000);
        ((ObjectNode) spec(review).path("containers").get(0)).put("name", hugeName);
        metadata(review).putObject("annotations").put("huge", "y".repeat(3_000_000));
        Decoded decoded = decode(HANDLER.review(PATH_MUTATE, bytes(review)));
        assertThat(decoded.answer().outcome()).isEqualTo(Outcome.PARTIAL);
        assertThat(decoded.warnings()).isNotEmpty().allSatisfy(w -> assertThat(w).hasSizeLessThanOrEqualTo(120)
                .doesNotContain("\n", "\u0007"));
        JsonNode patched = apply(review.path("request").path("object"), decoded.patch());
        assertThat(status(patched)).hasSizeLessThanOrEqualTo(StatusAnnotation.MAX_LENGTH).doesNotContain("\n")
                .startsWith("partial: /proc/meminfo in app-??????").contains("...: it mounts its own");
    }

    @Test
    void manySkippedPathsGiveABoundedListOfWarnings() {
        ObjectNode review = resource("pod-no-volumes");
        var containers = spec(review).putArray("containers");
        for (int i = 0; i < 50; i++) {
            containers.addObject().put("name", "c" + i).put("image", "x")
                    .putArray("volumeMounts").addObject().put("name", "own").put("mountPath", "/proc");
        }
        spec(review).putArray("volumes").addObject().put("name", "own").putObject("emptyDir");
        Decoded decoded = decode(HANDLER.review(PATH_MUTATE, bytes(review)));
        assertThat(decoded.warnings()).hasSize(Warnings.MAX_COUNT);
        assertThat(decoded.warnings().getLast()).contains("more warnings");
        JsonNode patched = apply(review.path("request").path("object"), decoded.patch());
        assertThat(status(patched)).startsWith("partial: /proc/cpuinfo in c0: it mounts /proc; ").endsWith("; ...")
                .hasSizeLessThanOrEqualTo(StatusAnnotation.MAX_LENGTH);
        assertValidPod(patched);
    }

    @Test
    void nullMembersCountAsAbsent() {
        ObjectNode review = resource("pod-no-volumes");
        spec(review).putNull("volumes");
        metadata(review).putNull("annotations");
        container0(review).putNull("volumeMounts");
        Decoded decoded = decode(HANDLER.review(PATH_MUTATE, bytes(review)));
        JsonNode patched = apply(review.path("request").path("object"), decoded.patch());
        assertValidPod(patched);
        assertThat(status(patched)).isEqualTo("injected");
        assertThat(volumes(patched)).hasSize(8);
    }

    @Test
    void aPodWithoutMetadataGetsItsAnnotationStill() {
        ObjectNode review = resource("pod-no-volumes");
        pod(review).remove("metadata");
        Decoded decoded = decode(HANDLER.review(PATH_MUTATE, bytes(review)));
        assertThat(status(apply(review.path("request").path("object"), decoded.patch()))).isEqualTo("injected");
    }

    @Test
    void theHandlerSurvivesEveryPrefixOfAReview() {
        byte[] review = bytes(resource("pod-existing-meminfo-mount"));
        for (int length = 0; length < review.length; length += 7) {
            AdmissionHandler.Answer answer = HANDLER.review(PATH_MUTATE, Arrays.copyOf(review, length));
            assertThat(decode(answer).patch()).isEmpty();
            assertThat(answer.outcome()).isEqualTo(Outcome.INVALID);
        }
    }

    static ObjectNode request(ObjectNode review) {
        return (ObjectNode) review.path("request");
    }

    static ObjectNode pod(ObjectNode review) {
        return (ObjectNode) request(review).path("object");
    }

    static ObjectNode metadata(ObjectNode review) {
        return (ObjectNode) pod(review).path("metadata");
    }

    static ObjectNode spec(ObjectNode review) {
        return (ObjectNode) pod(review).path("spec");
    }

    static ObjectNode container0(ObjectNode review) {
        return (ObjectNode) spec(review).path("containers").get(0);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
