package org.jlxcfs.webhook.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Keeps the {@code caBundle} of every webhook of the MutatingWebhookConfiguration that calls our Service
 * equal to our CA bundle. The patch is a JSON Patch by list index, each change guarded by a {@code test}
 * on the webhook's name, so a configuration re-applied in between with another order is never patched
 * in the wrong place (the API server refuses the patch and the next check reads again).
 */
final class CaBundlePatcher {
    private static final int ATTEMPTS = 3;

    private final KubernetesApi api;
    private final String name;
    private final String serviceNamespace;
    private final String service;
    private final String path;

    enum Result { PATCHED, UNCHANGED, NOT_FOUND, NO_WEBHOOK_FOR_SERVICE }

    CaBundlePatcher(KubernetesApi api, String name, String serviceNamespace, String service) {
        this.api = api;
        this.name = name;
        this.serviceNamespace = serviceNamespace;
        this.service = service;
        this.path = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/" + name;
    }

    String describe() {
        return "MutatingWebhookConfiguration " + name;
    }

    Result sync(String caBundlePem) throws ApiException {
        String wanted = Base64.getEncoder().encodeToString(caBundlePem.getBytes(StandardCharsets.US_ASCII));
        ApiException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            var current = api.get(path, describe());
            if (current.status() == 404) return Result.NOT_FOUND;
            if (!current.ok()) throw new ApiException("GET " + describe(), current.status(), current.message(), null);
            var ops = operations(current.body().path("webhooks"), wanted);
            if (ops == null) return Result.NO_WEBHOOK_FOR_SERVICE;
            if (ops.isEmpty()) return Result.UNCHANGED;
            var response = api.jsonPatch(path, ops, describe());
            if (response.ok()) return Result.PATCHED;
            if (response.status() == 404) return Result.NOT_FOUND;
            last = new ApiException("PATCH " + describe(), response.status(), response.message(), null);
            // 409/422: the configuration changed under us (a guard failed); read it again
            if (response.status() != 409 && response.status() != 422) throw last;
        }
        throw last;
    }

    /** The JSON Patch to apply; empty when every webhook is current; null when no webhook calls our Service. */
    private ArrayNode operations(JsonNode webhooks, String wanted) {
        ArrayNode ops = KubernetesApi.JSON.createArrayNode();
        List<Integer> ours = new ArrayList<>();
        for (int i = 0; i < webhooks.size(); i++) {
            JsonNode target = webhooks.get(i).path("clientConfig").path("service");
            if (service.equals(target.path("name").asText(null)) && serviceNamespace.equals(target.path("namespace").asText(null))) {
                ours.add(i);
            }
        }
        if (ours.isEmpty()) return null;
        for (int i : ours) {
            JsonNode webhook = webhooks.get(i);
            JsonNode present = webhook.path("clientConfig").path("caBundle");
            if (wanted.equals(present.asText(null))) continue;
            ops.addObject().put("op", "test").put("path", "/webhooks/" + i + "/name").put("value", webhook.path("name").asText(""));
            ops.addObject().put("op", present.isMissingNode() ? "add" : "replace")
                    .put("path", "/webhooks/" + i + "/clientConfig/caBundle").put("value", wanted);
        }
        return ops;
    }
}
