package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The MutatingWebhookConfiguration as rendered by both certificate overlays: how the API server calls the webhook. */
class WebhookConfigurationTest {
    /** webhook name -> the path its pods are sent to */
    private static final Map<String, String> WEBHOOKS = Map.of(
            "namespace.jlxcfs.io", "/mutate",
            "legacy-namespace.jlxcfs.io", "/mutate",
            "pod.jlxcfs.io", "/mutate/opt-in");

    static List<JsonNode> webhooks(String overlay) {
        List<JsonNode> list = new ArrayList<>();
        RenderedOverlay.of(overlay).one("MutatingWebhookConfiguration", "jlxcfs").path("webhooks").forEach(list::add);
        return list;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void threeWebhooksOneServer(String overlay) {
        List<JsonNode> webhooks = webhooks(overlay);
        assertThat(webhooks).extracting(w -> w.path("name").asText()).containsExactlyInAnyOrderElementsOf(WEBHOOKS.keySet());
        for (JsonNode webhook : webhooks) {
            String name = webhook.path("name").asText();
            JsonNode service = webhook.path("clientConfig").path("service");
            assertThat(service.path("namespace").asText()).as(name).isEqualTo("jlxcfs-system");
            assertThat(service.path("name").asText()).as(name).isEqualTo("jlxcfs-webhook");
            assertThat(service.path("port").asInt()).as(name).isEqualTo(443);
            assertThat(service.path("path").asText()).as(name).isEqualTo(WEBHOOKS.get(name));
            assertThat(webhook.path("clientConfig").has("url")).as(name + " is called through its Service").isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void neverHurtsAPod(String overlay) {
        for (JsonNode webhook : webhooks(overlay)) {
            String name = webhook.path("name").asText();
            assertThat(webhook.path("failurePolicy").asText()).as(name).isEqualTo("Ignore");
            assertThat(webhook.path("sideEffects").asText()).as(name).isEqualTo("None");
            assertThat(webhook.path("timeoutSeconds").isInt()).as(name + " sets timeoutSeconds").isTrue();
            assertThat(webhook.path("timeoutSeconds").asInt()).as(name).isBetween(1, 5);
            assertThat(webhook.path("matchPolicy").asText()).as(name).isEqualTo("Equivalent");
            assertThat(webhook.path("reinvocationPolicy").asText()).as(name).isEqualTo("IfNeeded");
            assertThat(webhook.path("admissionReviewVersions")).as(name).extracting(JsonNode::asText).containsExactly("v1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void podCreationsAndEphemeralContainersOnly(String overlay) {
        for (JsonNode webhook : webhooks(overlay)) {
            String name = webhook.path("name").asText();
            List<String> rules = new ArrayList<>();
            for (JsonNode rule : webhook.path("rules")) {
                assertThat(rule.path("apiGroups")).as(name).extracting(JsonNode::asText).containsExactly("");
                assertThat(rule.path("apiVersions")).as(name).extracting(JsonNode::asText).containsExactly("v1");
                assertThat(rule.path("scope").asText()).as(name).isEqualTo("Namespaced");
                for (JsonNode operation : rule.path("operations")) {
                    for (JsonNode resource : rule.path("resources")) rules.add(operation.asText() + " " + resource.asText());
                }
            }
            assertThat(rules).as(name).containsExactlyInAnyOrder("CREATE pods", "UPDATE pods/ephemeralcontainers");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void matchConditionsSkipMirrorAndWindowsPods(String overlay) {
        for (JsonNode webhook : webhooks(overlay)) {
            String name = webhook.path("name").asText();
            List<String> expressions = new ArrayList<>();
            webhook.path("matchConditions").forEach(c -> expressions.add(c.path("expression").asText()));
            assertThat(expressions).as(name).anySatisfy(e -> assertThat(e).contains("'kubernetes.io/config.mirror'"));
            assertThat(expressions).as(name).anySatisfy(e -> assertThat(e).contains("object.spec.os.name == 'windows'")
                    .contains("object.spec.nodeSelector['kubernetes.io/os'] == 'windows'"));
            for (String expression : expressions) {
                assertThat(Cel.unbalanced(expression)).as(name + ": " + expression).isEmpty();
                // has() before each access: annotations, os and nodeSelector are optional
                assertThat(expression).as(name).doesNotContain("object.metadata.annotations[");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void caBundleIsNotShipped(String overlay) {
        // filled in by cert-manager's CA injector or by the webhook itself; a stale one shipped
        // here would be put back by every `kubectl apply`
        for (JsonNode webhook : webhooks(overlay)) {
            assertThat(webhook.path("clientConfig").has("caBundle")).as(webhook.path("name").asText()).isFalse();
        }
    }
}
