package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** overlays/cert-manager: the certificate chain, the Secret in the pod, the CA in the webhook configuration. */
class CertManagerOverlayTest {
    /** rendered on first use: without kubectl the tests are skipped, not broken in a static initialiser */
    private static RenderedOverlay overlay() {
        return RenderedOverlay.of("cert-manager");
    }

    private static JsonNode issuerOf(JsonNode certificate) {
        JsonNode ref = certificate.at("/spec/issuerRef");
        assertThat(ref.path("kind").asText("Issuer")).isEqualTo("Issuer");
        assertThat(ref.path("group").asText("cert-manager.io")).isEqualTo("cert-manager.io");
        return overlay().one("Issuer", ref.path("name").asText());
    }

    @Test
    void selfSignedIssuerMakesTheCaWhichSignsTheServingCertificate() {
        JsonNode serving = overlay().one("Certificate", "jlxcfs-webhook-serving");
        JsonNode caIssuer = issuerOf(serving);
        String caSecret = caIssuer.at("/spec/ca/secretName").asText();
        List<JsonNode> caCertificates = overlay().all("Certificate").stream()
                .filter(c -> c.at("/spec/secretName").asText().equals(caSecret)).toList();
        assertThat(caCertificates).as("the Certificate behind " + caSecret).hasSize(1);
        JsonNode ca = caCertificates.getFirst();
        assertThat(ca.at("/spec/isCA").asBoolean()).isTrue();
        assertThat(issuerOf(ca).at("/spec/selfSigned").isObject()).isTrue();
        assertThat(serving.at("/spec/isCA").asBoolean(false)).isFalse();
    }

    @Test
    void theServingCertificateNamesTheService() {
        JsonNode serving = overlay().one("Certificate", "jlxcfs-webhook-serving");
        JsonNode service = overlay().one("Service", "jlxcfs-webhook");
        String dns = service.at("/metadata/name").asText() + "." + service.at("/metadata/namespace").asText() + ".svc";
        assertThat(serving.at("/spec/dnsNames")).extracting(JsonNode::asText).containsExactlyInAnyOrder(dns, dns + ".cluster.local");
        assertThat(serving.at("/spec/privateKey/encoding").asText()).isEqualTo("PKCS8");
        assertThat(serving.at("/spec/usages")).extracting(JsonNode::asText).contains("server auth");
    }

    @Test
    void theCaIsInjectedIntoTheWebhookConfiguration() {
        JsonNode configuration = overlay().one("MutatingWebhookConfiguration", "jlxcfs");
        JsonNode serving = overlay().one("Certificate", "jlxcfs-webhook-serving");
        assertThat(configuration.at("/metadata/annotations/cert-manager.io~1inject-ca-from").asText())
                .isEqualTo(serving.at("/metadata/namespace").asText() + "/" + serving.at("/metadata/name").asText());
        assertThat(configuration.path("webhooks")).as("the annotation patch kept the webhooks").hasSize(3);
    }

    @Test
    void theWebhookServesTheMountedSecretAndReloadsIt() {
        JsonNode serving = overlay().one("Certificate", "jlxcfs-webhook-serving");
        JsonNode pod = WebhookDeploymentTest.deployment("cert-manager").at("/spec/template/spec");
        JsonNode container = WebhookDeploymentTest.container("cert-manager");

        JsonNode volume = null;
        for (JsonNode v : pod.path("volumes")) if (v.at("/secret/secretName").asText().equals(serving.at("/spec/secretName").asText())) volume = v;
        assertThat(volume).as("a volume of the serving Secret").isNotNull();
        Map<String, String> files = new HashMap<>(); // key -> file name in the volume
        volume.at("/secret/items").forEach(i -> files.put(i.path("key").asText(), i.path("path").asText()));
        if (files.isEmpty()) files.putAll(Map.of("tls.crt", "tls.crt", "tls.key", "tls.key"));
        assertThat(volume.at("/secret/defaultMode").asInt(0644) & 0007).as("the key is not world-readable").isZero();

        JsonNode mount = null;
        for (JsonNode m : container.path("volumeMounts")) if (m.path("name").asText().equals(volume.path("name").asText())) mount = m;
        assertThat(mount).isNotNull();
        assertThat(mount.path("mountPath").asText()).isEqualTo("/etc/jlxcfs/tls");
        assertThat(mount.path("readOnly").asBoolean()).isTrue();
        assertThat(mount.has("subPath")).as("a subPath mount never sees a renewed Secret").isFalse();

        List<String> args = WebhookDeploymentTest.args("cert-manager");
        assertThat(args).contains("--tls-cert=/etc/jlxcfs/tls/" + files.get("tls.crt"), "--tls-key=/etc/jlxcfs/tls/" + files.get("tls.key"))
                .doesNotContain("--self-signed");
    }

    @Test
    void theWebhookNeedsNoApiAccess() {
        // the node side's jlxcfs-node (nodes: get, patch, for the daemon's node label) is NodeManifestsTest's
        for (String kind : List.of("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")) {
            assertThat(overlay().all(kind)).as(kind).allSatisfy(o -> assertThat(o.at("/metadata/name").asText()).isEqualTo("jlxcfs-node"));
        }
        assertThat(overlay().all("ClusterRole")).hasSize(1);
        assertThat(overlay().all("Role")).isEmpty();
        assertThat(WebhookDeploymentTest.deployment("cert-manager").at("/spec/template/spec/automountServiceAccountToken").asBoolean(true))
                .as("no token in the pod").isFalse();
        List<String> kinds = new ArrayList<>();
        overlay().objects().forEach(o -> kinds.add(o.path("kind").asText()));
        assertThat(kinds).doesNotContain("Secret");
    }
}
