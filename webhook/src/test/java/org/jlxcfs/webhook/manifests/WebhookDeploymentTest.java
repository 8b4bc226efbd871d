package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.jlxcfs.webhook.WebhookCommand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The webhook's Deployment, PodDisruptionBudget, Service and ServiceAccount, as both certificate overlays render them. */
class WebhookDeploymentTest {
    static JsonNode deployment(String overlay) {
        return RenderedOverlay.of(overlay).one("Deployment", "jlxcfs-webhook");
    }

    static JsonNode container(String overlay) {
        JsonNode containers = deployment(overlay).at("/spec/template/spec/containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static List<String> args(String overlay) {
        List<String> args = new ArrayList<>();
        container(overlay).path("args").forEach(a -> args.add(a.asText()));
        return args;
    }

    private static Map<String, String> labels(JsonNode node) {
        Map<String, String> labels = new HashMap<>();
        node.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void twoReplicasAndADisruptionBudgetThatKeepsOne(String overlay) {
        JsonNode deployment = deployment(overlay);
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).isZero();
        Map<String, String> podLabels = labels(deployment.at("/spec/template/metadata/labels"));
        assertThat(podLabels).containsEntry("app.kubernetes.io/name", "jlxcfs").containsEntry("app.kubernetes.io/component", "webhook");
        assertThat(new LabelSelector(deployment.at("/spec/selector")).matches(podLabels)).isTrue();

        JsonNode pdb = RenderedOverlay.of(overlay).one("PodDisruptionBudget", "jlxcfs-webhook");
        assertThat(pdb.at("/spec/minAvailable").asInt()).isEqualTo(1);
        assertThat(new LabelSelector(pdb.at("/spec/selector")).matches(podLabels)).as("the PDB covers the webhook's pods").isTrue();
        assertThat(deployment.at("/spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0/podAffinityTerm/topologyKey")
                .asText()).as("replicas spread over nodes").isEqualTo("kubernetes.io/hostname");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void theServiceReachesTheHttpsPort(String overlay) {
        RenderedOverlay rendered = RenderedOverlay.of(overlay);
        JsonNode service = rendered.one("Service", "jlxcfs-webhook");
        JsonNode https = null;
        for (JsonNode port : service.at("/spec/ports")) if (port.path("port").asInt() == 443) https = port;
        assertThat(https).as("port 443").isNotNull();
        Map<String, Integer> containerPorts = new HashMap<>();
        container(overlay).path("ports").forEach(p -> containerPorts.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(containerPorts).containsEntry("https", 8443).containsEntry("metrics", 8080);
        assertThat(https.path("targetPort").asText()).isEqualTo("https");
        Map<String, String> podLabels = labels(deployment(overlay).at("/spec/template/metadata/labels"));
        assertThat(podLabels).containsAllEntriesOf(labels(service.at("/spec/selector")));
        assertThat(args(overlay)).contains("--port=8443", "--metrics-port=8080");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void probesOnTheMetricsPort(String overlay) {
        JsonNode container = container(overlay);
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("metrics");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("metrics");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void runsAsNobodyWithNothing(String overlay) {
        JsonNode pod = deployment(overlay).at("/spec/template/spec");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(65532);
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.path("hostNetwork").asBoolean(false)).isFalse();
        assertThat(pod.path("hostPID").asBoolean(false)).isFalse();
        JsonNode container = container(overlay);
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").isBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/capabilities/drop")).extracting(JsonNode::asText).containsExactly("ALL");
        assertThat(container.at("/securityContext/privileged").asBoolean(false)).isFalse();
        assertThat(container.at("/resources/requests/cpu").isMissingNode()).as("CPU request").isFalse();
        assertThat(container.at("/resources/limits/memory").isMissingNode()).as("memory limit").isFalse();
        assertThat(pod.path("serviceAccountName").asText()).isEqualTo("jlxcfs-webhook");
        RenderedOverlay.of(overlay).one("ServiceAccount", "jlxcfs-webhook");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void knowsItsOwnNamespaceAndImage(String overlay) {
        JsonNode container = container(overlay);
        JsonNode env = null;
        for (JsonNode e : container.path("env")) if (e.path("name").asText().equals("POD_NAMESPACE")) env = e;
        assertThat(env).as("POD_NAMESPACE").isNotNull();
        assertThat(env.at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.namespace");
        assertThat(container.path("image").asText()).isEqualTo("localhost/jlxcfs:dev");
    }

    /** The arguments are those of the image's `jlxcfs` entrypoint: `webhook` and options WebhookCommand knows. */
    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void theArgumentsParseAsJlxcfsWebhook(String overlay) {
        List<String> args = args(overlay);
        assertThat(args).first().isEqualTo("webhook");
        String[] options = args.subList(1, args.size()).toArray(String[]::new);
        assertThatCode(() -> new CommandLine(new WebhookCommand()).parseArgs(options)).as(String.join(" ", args)).doesNotThrowAnyException();
    }
}
