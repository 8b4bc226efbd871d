package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** overlays/self-signed: the webhook's own certificates, with RBAC on two named objects only. */
class SelfSignedOverlayTest {
    /** rendered on first use: without kubectl the tests are skipped, not broken in a static initialiser */
    private static RenderedOverlay overlay() {
        return RenderedOverlay.of("self-signed");
    }

    @Test
    void theSecretIsShippedEmptySoNoCreateRightIsNeeded() {
        JsonNode secret = overlay().one("Secret", "jlxcfs-webhook-tls");
        assertThat(secret.path("type").asText()).isEqualTo("Opaque");
        assertThat(secret.has("data")).as("re-applying must not overwrite the certificates").isFalse();
        assertThat(secret.has("stringData")).isFalse();
        assertThat(secret.at("/metadata/namespace").asText()).isEqualTo("jlxcfs-system");
    }

    @Test
    void rbacIsLimitedToTheNamedSecretAndWebhookConfiguration() {
        JsonNode role = overlay().one("Role", "jlxcfs-webhook-tls");
        assertThat(role.at("/metadata/namespace").asText()).isEqualTo("jlxcfs-system");
        assertThat(role.path("rules")).hasSize(1);
        JsonNode rule = role.path("rules").get(0);
        assertThat(rule.path("apiGroups")).extracting(JsonNode::asText).containsExactly("");
        assertThat(rule.path("resources")).extracting(JsonNode::asText).containsExactly("secrets");
        assertThat(rule.path("resourceNames")).extracting(JsonNode::asText).containsExactly("jlxcfs-webhook-tls");
        assertThat(rule.path("verbs")).extracting(JsonNode::asText).containsExactlyInAnyOrder("get", "update", "patch");

        JsonNode clusterRole = overlay().one("ClusterRole", "jlxcfs-webhook-cabundle");
        assertThat(clusterRole.path("rules")).hasSize(1);
        JsonNode clusterRule = clusterRole.path("rules").get(0);
        assertThat(clusterRule.path("apiGroups")).extracting(JsonNode::asText).containsExactly("admissionregistration.k8s.io");
        assertThat(clusterRule.path("resources")).extracting(JsonNode::asText).containsExactly("mutatingwebhookconfigurations");
        assertThat(clusterRule.path("resourceNames")).extracting(JsonNode::asText).containsExactly("jlxcfs");
        assertThat(clusterRule.path("verbs")).extracting(JsonNode::asText).containsExactlyInAnyOrder("get", "patch");
        overlay().one("MutatingWebhookConfiguration", "jlxcfs");
    }

    @Test
    void noRuleOfTheWebhookGrantsMoreThanNamedObjects() {
        List<JsonNode> roles = new ArrayList<>(overlay().all("Role"));
        roles.addAll(overlay().all("ClusterRole"));
        // the node side's role (nodes: get, patch) cannot name its objects: NodeManifestsTest checks it
        roles.removeIf(role -> !role.at("/metadata/labels/app.kubernetes.io~1component").asText().equals("webhook"));
        assertThat(roles).hasSize(2);
        for (JsonNode role : roles) {
            for (JsonNode rule : role.path("rules")) {
                String what = RenderedOverlay.id(role) + " " + rule;
                assertThat(rule.path("resourceNames").size()).as(what).isPositive();
                assertThat(rule.path("verbs")).extracting(JsonNode::asText).as(what)
                        .doesNotContain("*", "create", "list", "watch", "delete", "deletecollection");
                assertThat(rule.path("resources")).extracting(JsonNode::asText).as(what).doesNotContain("*");
                assertThat(rule.path("apiGroups")).extracting(JsonNode::asText).as(what).doesNotContain("*");
            }
        }
    }

    @Test
    void bindingsGiveTheRolesToTheWebhooksServiceAccount() {
        String serviceAccount = WebhookDeploymentTest.deployment("self-signed").at("/spec/template/spec/serviceAccountName").asText();
        JsonNode binding = overlay().one("RoleBinding", "jlxcfs-webhook-tls");
        assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("Role");
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo("jlxcfs-webhook-tls");
        JsonNode clusterBinding = overlay().one("ClusterRoleBinding", "jlxcfs-webhook-cabundle");
        assertThat(clusterBinding.at("/roleRef/kind").asText()).isEqualTo("ClusterRole");
        assertThat(clusterBinding.at("/roleRef/name").asText()).isEqualTo("jlxcfs-webhook-cabundle");
        for (JsonNode b : List.of(binding, clusterBinding)) {
            assertThat(b.path("subjects")).hasSize(1);
            JsonNode subject = b.path("subjects").get(0);
            assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
            assertThat(subject.path("name").asText()).isEqualTo(serviceAccount);
            assertThat(subject.path("namespace").asText()).isEqualTo("jlxcfs-system");
        }
    }

    /** The names RBAC allows are the names the webhook uses (its defaults, or options in the Deployment). */
    @Test
    void theWebhookUsesTheObjectsRbacNames() {
        List<String> args = WebhookDeploymentTest.args("self-signed");
        picocli.CommandLine command = new picocli.CommandLine(new org.jlxcfs.webhook.WebhookCommand());
        command.parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        var spec = command.getCommandSpec();
        assertThat(spec.findOption("--secret").<String>getValue())
                .isEqualTo(overlay().one("Role", "jlxcfs-webhook-tls").at("/rules/0/resourceNames/0").asText());
        assertThat(spec.findOption("--webhook-configuration").<String>getValue())
                .isEqualTo(overlay().one("ClusterRole", "jlxcfs-webhook-cabundle").at("/rules/0/resourceNames/0").asText());
        assertThat(spec.findOption("--service").<String>getValue()).isEqualTo(overlay().one("Service", "jlxcfs-webhook").at("/metadata/name").asText());
    }

    @Test
    void theWebhookManagesItsOwnCertificatesWithItsToken() {
        assertThat(WebhookDeploymentTest.args("self-signed")).contains("--self-signed")
                .noneMatch(a -> a.startsWith("--tls-cert") || a.startsWith("--tls-key"));
        assertThat(WebhookDeploymentTest.deployment("self-signed").at("/spec/template/spec/automountServiceAccountToken").asBoolean())
                .as("--self-signed talks to the API server").isTrue();
        assertThat(overlay().all("Certificate")).isEmpty();
        assertThat(overlay().one("MutatingWebhookConfiguration", "jlxcfs").at("/metadata/annotations/cert-manager.io~1inject-ca-from")
                .isMissingNode()).isTrue();
    }
}
