package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonpatch.JsonPatch;
import io.kubernetes.client.openapi.models.V1Pod;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Reviews in, patched pods out, and the checks every answer must pass. */
final class ReviewFixtures {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String OWN_NAMESPACE = "jlxcfs-system";
    static final InjectionConfig CONFIG = InjectionConfig.defaults(OWN_NAMESPACE);
    static final AdmissionHandler HANDLER = new AdmissionHandler(CONFIG);
    /** The same, with {@code --require-node-label}. */
    static final AdmissionHandler NODE_LABEL_HANDLER = new AdmissionHandler(CONFIG.withRequireNodeLabel(true));
    static final String STATUS_POINTER = "/metadata/annotations/jlxcfs.io~1status";
    /** An RFC 6901 pointer: "/"-separated segments, every "~" escaping 0 or 1. */
    private static final Pattern POINTER = Pattern.compile("(/([^~/]|~[01])*)+");
    private static final Set<String> OPS = Set.of("add", "replace");

    private ReviewFixtures() {}

    /** A decoded answer: the review, its response, and its patch (an empty array when none). */
    record Decoded(AdmissionHandler.Answer answer, JsonNode review, JsonNode response, ArrayNode patch) {
        List<String> warnings() {
            List<String> list = new ArrayList<>();
            response.path("warnings").forEach(w -> list.add(w.asText()));
            return list;
        }

        String reason() {
            return answer.reason();
        }
    }

    static ObjectNode resource(String name) {
        try (InputStream in = ReviewFixtures.class.getResourceAsStream("/reviews/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource /reviews/" + name + ".json");
            }
            return (ObjectNode) MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Indented JSON, for failure messages. */
    static String pretty(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Decoded review(String path, JsonNode review) {
        return review(HANDLER, path, review);
    }

    static Decoded review(AdmissionHandler handler, String path, JsonNode review) {
        return decode(handler.review(path, bytes(review)));
    }

    static Decoded decode(AdmissionHandler.Answer answer) {
        try {
            JsonNode review = MAPPER.readTree(answer.json());
            JsonNode response = review.path("response");
            assertThat(response.path("allowed").asBoolean(false)).as("allowed").isTrue();
            ArrayNode patch = MAPPER.createArrayNode();
            if (response.has("patch")) {
                assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
                JsonNode decoded = MAPPER.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
                assertThat(decoded.isArray()).as("patch is a JSON array").isTrue();
                patch = (ArrayNode) decoded;
                assertThat(patch).as("a patch is sent only when not empty").isNotEmpty();
            } else {
                assertThat(response.has("patchType")).isFalse();
            }
            return new Decoded(answer, review, response, patch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every op is an add or a replace of our annotation, with a well-formed, escaped path and a value. */
    static void assertWellFormed(ArrayNode patch) {
        for (JsonNode op : patch) {
            assertThat(op.isObject()).isTrue();
            assertThat(OPS).contains(op.path("op").asText());
            String path = op.path("path").asText();
            assertThat(POINTER.matcher(path).matches()).as("pointer %s", path).isTrue();
            assertThat(op.has("value")).as("value of %s", op).isTrue();
            if (op.path("op").asText().equals("replace")) {
                assertThat(path).as("only our annotation is replaced").isEqualTo(STATUS_POINTER);
            }
        }
    }

    /** The pod with the patch applied by an independent RFC 6902 implementation. */
    static JsonNode apply(JsonNode pod, ArrayNode patch) {
        try {
            return JsonPatch.fromJson(patch).apply(pod);
        } catch (Exception e) {
            return fail("patch %s does not apply to %s: %s", patch, pod, e);
        }
    }

    /** The official Kubernetes model accepts the pod: no unknown field, no required field missing. */
    static void assertValidPod(JsonNode pod) {
        try {
            V1Pod.validateJsonElement(com.google.gson.JsonParser.parseString(pod.toString()));
        } catch (IOException | RuntimeException e) {
            fail("the Kubernetes model rejects %s: %s", pod, e.getMessage());
        }
    }

    /** Volume names unique, mount paths unique per container, every mount refers to a volume of the pod. */
    static void assertConsistent(JsonNode pod) {
        Set<String> names = new HashSet<>();
        for (JsonNode volume : pod.path("spec").path("volumes")) {
            assertThat(names.add(volume.path("name").asText())).as("volume name %s unique", volume.path("name")).isTrue();
        }
        forEachContainer(pod, container -> {
            Set<String> paths = new HashSet<>();
            for (JsonNode mount : container.path("volumeMounts")) {
                String path = MountPaths.normalise(mount.path("mountPath").asText());
                assertThat(paths.add(path)).as("mount path %s unique in %s", path, container.path("name")).isTrue();
                assertThat(names).as("volume of mount %s", mount).contains(mount.path("name").asText());
            }
        });
    }

    static void forEachContainer(JsonNode pod, java.util.function.Consumer<JsonNode> action) {
        for (String field : PodShape.CONTAINER_FIELDS) {
            pod.path("spec").path(field).forEach(action);
        }
    }

    /** Every value of {@code original} is in {@code patched} at the same place, our status annotation excepted. */
    static void assertPreserved(JsonNode original, JsonNode patched) {
        assertPreserved("", original, patched);
    }

    private static void assertPreserved(String pointer, JsonNode original, JsonNode patched) {
        if (pointer.equals(STATUS_POINTER)) {
            return;
        }
        assertThat(patched).as("value at %s kept", pointer).isNotNull();
        if (original.isObject()) {
            assertThat(patched.isObject()).as("object at %s kept", pointer).isTrue();
            for (Iterator<Map.Entry<String, JsonNode>> it = original.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String child = pointer + "/" + field.getKey().replace("~", "~0").replace("/", "~1");
                if (!field.getValue().isNull()) {
                    assertPreserved(child, field.getValue(), patched.get(field.getKey()));
                }
            }
        } else if (original.isArray()) {
            assertThat(patched.isArray()).as("array at %s kept", pointer).isTrue();
            assertThat(patched.size()).as("array at %s not shortened", pointer).isGreaterThanOrEqualTo(original.size());
            for (int i = 0; i < original.size(); i++) {
                assertPreserved(pointer + "/" + i, original.get(i), patched.get(i));
            }
        } else {
            assertThat(patched).as("value at %s unchanged", pointer).isEqualTo(original);
        }
    }

    /** The review with its object replaced. */
    static ObjectNode withObject(JsonNode review, JsonNode pod) {
        ObjectNode copy = review.deepCopy();
        ((ObjectNode) copy.path("request")).set("object", pod);
        return copy;
    }

    /** The volumes of a pod by name. */
    static Map<String, JsonNode> volumes(JsonNode pod) {
        Map<String, JsonNode> byName = new HashMap<>();
        pod.path("spec").path("volumes").forEach(v -> byName.put(v.path("name").asText(), v));
        return byName;
    }

    /** The container of that name in any of the three lists. */
    static JsonNode container(JsonNode pod, String name) {
        for (String field : PodShape.CONTAINER_FIELDS) {
            for (JsonNode container : pod.path("spec").path(field)) {
                if (container.path("name").asText().equals(name)) {
                    return container;
                }
            }
        }
        return fail("no container %s", name);
    }

    /** The hostPath (normal form) a container sees at {@code mountPath} (null when not mounted or not a hostPath). */
    static String hostPathAt(JsonNode pod, String containerName, String mountPath) {
        Map<String, JsonNode> volumes = volumes(pod);
        for (JsonNode mount : container(pod, containerName).path("volumeMounts")) {
            if (MountPaths.normalise(mount.path("mountPath").asText()).equals(mountPath)) {
                JsonNode volume = volumes.get(mount.path("name").asText());
                String hostPath = volume == null ? null : volume.path("hostPath").path("path").asText(null);
                return hostPath == null ? null : MountPaths.normalise(hostPath);
            }
        }
        return null;
    }

    /** The mount of {@code mountPath} in that container, or null. */
    static JsonNode mountAt(JsonNode pod, String containerName, String mountPath) {
        for (JsonNode mount : container(pod, containerName).path("volumeMounts")) {
            if (MountPaths.normalise(mount.path("mountPath").asText()).equals(mountPath)) {
                return mount;
            }
        }
        return null;
    }

    static String status(JsonNode pod) {
        return pod.path("metadata").path("annotations").path("jlxcfs.io/status").asText(null);
    }
}
