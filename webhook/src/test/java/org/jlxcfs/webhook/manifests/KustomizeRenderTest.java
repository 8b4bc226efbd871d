package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Every overlay renders with {@code kubectl kustomize}, and every object it renders is valid. */
class KustomizeRenderTest {
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "MutatingWebhookConfiguration", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding");

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void everyRenderedObjectValidatesAgainstTheApiModel(String overlay) {
        List<String> problems = new ArrayList<>();
        for (JsonNode object : RenderedOverlay.of(overlay).objects()) {
            if (object.path("apiVersion").asText().startsWith("cert-manager.io/")) {
                problems.addAll(CertManagerFields.problems(object));
            } else {
                try {
                    ApiModel.validate(object);
                } catch (AssertionError e) {
                    problems.add(e.getMessage());
                }
            }
        }
        assertThat(problems).as(overlay).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "admission-policy", "lxcfs-compat"})
    void objectsAreUniqueLabelledAndInTheirNamespace(String overlay) {
        Set<String> seen = new HashSet<>();
        for (JsonNode object : RenderedOverlay.of(overlay).objects()) {
            String id = RenderedOverlay.id(object);
            assertThat(seen.add(object.path("kind").asText() + " " + object.path("metadata").path("namespace").asText()
                    + "/" + object.path("metadata").path("name").asText())).as("rendered twice: " + id).isTrue();
            assertThat(object.at("/metadata/labels/app.kubernetes.io~1name").asText()).as(id).isEqualTo("jlxcfs");
            String namespace = object.path("metadata").path("namespace").asText("");
            if (CLUSTER_SCOPED.contains(object.path("kind").asText())) {
                assertThat(namespace).as(id + " is cluster-scoped").isEmpty();
            } else {
                assertThat(namespace).as(id).isEqualTo("jlxcfs-system");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void certificateOverlaysHaveTheWholeWebhook(String overlay) {
        RenderedOverlay rendered = RenderedOverlay.of(overlay);
        rendered.one("Namespace", "jlxcfs-system");
        rendered.one("ServiceAccount", "jlxcfs-webhook");
        rendered.one("Deployment", "jlxcfs-webhook");
        rendered.one("PodDisruptionBudget", "jlxcfs-webhook");
        rendered.one("Service", "jlxcfs-webhook");
        rendered.one("MutatingWebhookConfiguration", "jlxcfs");
        assertThat(rendered.all("MutatingAdmissionPolicy")).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void admissionPolicyOverlayHasNoWebhookServer() {
        RenderedOverlay rendered = RenderedOverlay.of("admission-policy");
        rendered.one("Namespace", "jlxcfs-system");
        rendered.one("MutatingAdmissionPolicy", "jlxcfs");
        assertThat(rendered.all("MutatingAdmissionPolicyBinding")).hasSize(3);
        assertThat(rendered.all("MutatingWebhookConfiguration")).isEmpty();
        assertThat(rendered.all("Deployment")).isEmpty();
        assertThat(rendered.all("Service")).isEmpty();
    }
}
