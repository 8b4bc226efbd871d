package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1beta1MutatingAdmissionPolicy;
import io.kubernetes.client.openapi.models.V1beta1MutatingAdmissionPolicyBinding;

import java.io.IOException;
import java.util.Map;

/**
 * The official Kubernetes model ({@code io.kubernetes:client-java-api}) as a validator: each
 * kind's {@code validateJsonElement} rejects unknown fields and missing required ones, through
 * every nested object. cert-manager's kinds have no model there: {@link CertManagerFields}.
 */
final class ApiModel {
    private ApiModel() {}

    private interface Validator {
        void validate(JsonElement object) throws IOException;
    }

    private static final Map<String, Validator> BY_TYPE = Map.ofEntries(
            Map.entry("v1 Namespace", V1Namespace::validateJsonElement),
            Map.entry("v1 ServiceAccount", V1ServiceAccount::validateJsonElement),
            Map.entry("v1 Service", V1Service::validateJsonElement),
            Map.entry("v1 Secret", V1Secret::validateJsonElement),
            Map.entry("v1 ConfigMap", V1ConfigMap::validateJsonElement),
            Map.entry("apps/v1 Deployment", V1Deployment::validateJsonElement),
            Map.entry("apps/v1 DaemonSet", V1DaemonSet::validateJsonElement),
            Map.entry("policy/v1 PodDisruptionBudget", V1PodDisruptionBudget::validateJsonElement),
            Map.entry("admissionregistration.k8s.io/v1 MutatingWebhookConfiguration", V1MutatingWebhookConfiguration::validateJsonElement),
            Map.entry("admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy", V1beta1MutatingAdmissionPolicy::validateJsonElement),
            Map.entry("admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicyBinding",
                    V1beta1MutatingAdmissionPolicyBinding::validateJsonElement),
            Map.entry("rbac.authorization.k8s.io/v1 Role", V1Role::validateJsonElement),
            Map.entry("rbac.authorization.k8s.io/v1 RoleBinding", V1RoleBinding::validateJsonElement),
            Map.entry("rbac.authorization.k8s.io/v1 ClusterRole", V1ClusterRole::validateJsonElement),
            Map.entry("rbac.authorization.k8s.io/v1 ClusterRoleBinding", V1ClusterRoleBinding::validateJsonElement));

    static boolean knows(JsonNode object) {
        return BY_TYPE.containsKey(type(object));
    }

    /** Throws an AssertionError naming the object when the model rejects it. */
    static void validate(JsonNode object) {
        Validator validator = BY_TYPE.get(type(object));
        if (validator == null) throw new AssertionError("no API model for " + RenderedOverlay.id(object));
        try {
            validator.validate(JsonParser.parseString(object.toString()));
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            int json = why.indexOf(" JSON: "); // the model appends the whole object: the field name is enough
            throw new AssertionError(RenderedOverlay.id(object) + " does not validate: " + (json < 0 ? why : why.substring(0, json)), e);
        }
    }

    private static String type(JsonNode object) {
        return object.path("apiVersion").asText() + " " + object.path("kind").asText();
    }
}
