package org.jlxcfs.webhook.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Secret that holds the CA and serving certificate, read and written with optimistic concurrency:
 * a create that meets an existing Secret, or an update that meets a newer resourceVersion, reports that
 * another replica won, and the caller reads again.
 */
final class SecretStore {
    private final KubernetesApi api;
    private final String namespace;
    private final String name;
    private final String path;

    /** The Secret as read: the whole object (kept for the update: labels, owners, type stay), its version and its data as text. */
    record Stored(ObjectNode object, String resourceVersion, Map<String, String> data) {}

    SecretStore(KubernetesApi api, String namespace, String name) {
        this.api = api;
        this.namespace = namespace;
        this.name = name;
        this.path = "/api/v1/namespaces/" + namespace + "/secrets/" + name;
    }

    String describe() {
        return "Secret " + namespace + "/" + name;
    }

    /** The Secret, or empty when it does not exist. */
    Optional<Stored> read() throws ApiException {
        var response = api.get(path, describe());
        if (response.status() == 404) return Optional.empty();
        if (!response.ok() || !(response.body() instanceof ObjectNode object)) {
            throw new ApiException("GET " + describe(), response.status(), response.ok() ? "the answer is not a JSON object" : response.message(), null);
        }
        return Optional.of(new Stored(object, object.path("metadata").path("resourceVersion").asText(""), decode(object.path("data"))));
    }

    /** Creates the Secret; false when another replica created it first. */
    boolean create(Map<String, String> data) throws ApiException {
        ObjectNode secret = KubernetesApi.JSON.createObjectNode();
        secret.put("apiVersion", "v1").put("kind", "Secret");
        secret.putObject("metadata").put("name", name).put("namespace", namespace)
                .putObject("labels").put("app.kubernetes.io/managed-by", "jlxcfs-webhook");
        secret.put("type", "Opaque");
        secret.set("data", encode(data));
        var response = api.post("/api/v1/namespaces/" + namespace + "/secrets", secret, describe());
        if (response.status() == 409) return false;
        if (!response.ok()) throw new ApiException("POST " + describe(), response.status(), response.message(), null);
        return true;
    }

    /** Replaces the data of the Secret read as {@code current}; false when it changed or vanished since. */
    boolean replace(Stored current, Map<String, String> data) throws ApiException {
        ObjectNode secret = current.object().deepCopy();
        secret.remove("status");
        secret.put("apiVersion", "v1").put("kind", "Secret");
        secret.withObjectProperty("metadata").put("resourceVersion", current.resourceVersion());
        secret.remove("stringData");
        secret.set("data", encode(data));
        var response = api.put(path, secret, describe());
        if (response.status() == 409 || response.status() == 404) return false;
        if (!response.ok()) throw new ApiException("PUT " + describe(), response.status(), response.message(), null);
        return true;
    }

    private static ObjectNode encode(Map<String, String> data) {
        ObjectNode node = KubernetesApi.JSON.createObjectNode();
        data.forEach((key, value) -> node.put(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.US_ASCII))));
        return node;
    }

    /** The values that are base64 text; anything else someone put there counts as missing. */
    private static Map<String, String> decode(JsonNode data) {
        var result = new LinkedHashMap<String, String>();
        if (!data.isObject()) return result;
        data.properties().forEach(entry -> {
            if (!entry.getValue().isTextual()) return;
            try {
                result.put(entry.getKey(), new String(Base64.getDecoder().decode(entry.getValue().asText()), StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                // not base64: left out, so the bundle counts as incomplete and is reissued
            }
        });
        return result;
    }
}
