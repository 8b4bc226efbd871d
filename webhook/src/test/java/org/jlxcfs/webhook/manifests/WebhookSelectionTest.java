package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which pods the API server sends to which webhook (and which binding of the admission policy
 * applies), found by evaluating the rendered selectors on sample namespaces and pods.
 */
class WebhookSelectionTest {
    private static final String INJECT = "jlxcfs.io/inject";
    private static final String LEGACY = "lxcfs-admission-webhook";

    /** One way in: a webhook, or an admission-policy binding (with the policy's own namespace selector). */
    private record Selection(String name, List<LabelSelector> namespace, LabelSelector object) {
        boolean selects(Map<String, String> namespaceLabels, Map<String, String> podLabels) {
            return namespace.stream().allMatch(s -> s.matches(namespaceLabels)) && object.matches(podLabels);
        }
    }

    private static List<Selection> webhooks(String overlay) {
        List<Selection> selections = new ArrayList<>();
        for (JsonNode webhook : WebhookConfigurationTest.webhooks(overlay)) {
            selections.add(new Selection(webhook.path("name").asText(),
                    List.of(new LabelSelector(webhook.path("namespaceSelector"))), new LabelSelector(webhook.path("objectSelector"))));
        }
        return selections;
    }

    private static List<Selection> policyBindings() {
        RenderedOverlay rendered = RenderedOverlay.of("admission-policy");
        JsonNode policyNamespaces = rendered.one("MutatingAdmissionPolicy", "jlxcfs").at("/spec/matchConstraints/namespaceSelector");
        List<Selection> selections = new ArrayList<>();
        for (JsonNode binding : rendered.all("MutatingAdmissionPolicyBinding")) {
            JsonNode match = binding.at("/spec/matchResources");
            selections.add(new Selection(binding.at("/metadata/name").asText(),
                    List.of(new LabelSelector(policyNamespaces), new LabelSelector(match.path("namespaceSelector"))),
                    new LabelSelector(match.path("objectSelector"))));
        }
        return selections;
    }

    private static List<String> selecting(List<Selection> selections, Map<String, String> namespace, Map<String, String> pod) {
        return selections.stream().filter(s -> s.selects(namespace, pod)).map(Selection::name).toList();
    }

    private static Map<String, String> namespace(String name, String... labels) {
        Map<String, String> map = new HashMap<>(pod(labels));
        map.put("kubernetes.io/metadata.name", name); // set by the API server on every namespace since 1.22
        return map;
    }

    private static Map<String, String> pod(String... labels) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < labels.length; i += 2) map.put(labels[i], labels[i + 1]);
        return map;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void samplePodsGoWhereTheDecisionsSay(String overlay) {
        List<Selection> webhooks = webhooks(overlay);
        assertThat(selecting(webhooks, namespace("apps", INJECT, "enabled"), pod("app", "web"))).containsExactly("namespace.jlxcfs.io");
        assertThat(selecting(webhooks, namespace("apps", LEGACY, "enabled"), pod())).containsExactly("legacy-namespace.jlxcfs.io");
        assertThat(selecting(webhooks, namespace("apps", INJECT, "enabled", LEGACY, "enabled"), pod()))
                .as("both labels: reviewed once").containsExactly("namespace.jlxcfs.io");
        assertThat(selecting(webhooks, namespace("apps"), pod(INJECT, "enabled"))).containsExactly("pod.jlxcfs.io");
        assertThat(selecting(webhooks, namespace("apps", INJECT, "enabled"), pod(INJECT, "enabled")))
                .as("a pod opting in where its namespace did already: reviewed once").containsExactly("namespace.jlxcfs.io");
        assertThat(selecting(webhooks, namespace("apps"), pod())).isEmpty();
        assertThat(selecting(webhooks, namespace("apps", INJECT, "enabled"), pod(INJECT, "disabled"))).as("opted out").isEmpty();
        assertThat(selecting(webhooks, namespace("apps", LEGACY, "enabled"), pod(INJECT, "disabled"))).as("opted out").isEmpty();
        for (String never : List.of("kube-system", "jlxcfs-system")) {
            assertThat(selecting(webhooks, namespace(never, INJECT, "enabled", LEGACY, "enabled"), pod(INJECT, "enabled")))
                    .as(never).isEmpty();
            assertThat(selecting(webhooks, namespace(never), pod(INJECT, "enabled"))).as(never).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cert-manager", "self-signed", "lxcfs-compat"})
    void everyCombinationOfLabelsIsSentAtMostOnceAndToTheRightPlace(String overlay) {
        allCombinations(webhooks(overlay), "namespace.jlxcfs.io", "legacy-namespace.jlxcfs.io", "pod.jlxcfs.io");
    }

    @Test
    void theAdmissionPolicySelectsTheSamePodsThroughItsBindings() {
        allCombinations(policyBindings(), "jlxcfs-namespace", "jlxcfs-legacy-namespace", "jlxcfs-pod");
    }

    /** Namespace and pod label values, each absent, enabled, disabled or something else, in every namespace kind. */
    private static void allCombinations(List<Selection> selections, String byNamespace, String byLegacyNamespace, String byPod) {
        List<String> values = new ArrayList<>(java.util.Arrays.asList(null, "enabled", "disabled", "true"));
        int checked = 0;
        for (String name : List.of("apps", "kube-system", "jlxcfs-system", "default")) {
            for (String nsInject : values) {
                for (String nsLegacy : values) {
                    for (String podInject : values) {
                        Map<String, String> ns = namespace(name);
                        if (nsInject != null) ns.put(INJECT, nsInject);
                        if (nsLegacy != null) ns.put(LEGACY, nsLegacy);
                        Map<String, String> pod = new HashMap<>();
                        if (podInject != null) pod.put(INJECT, podInject);

                        boolean never = name.equals("kube-system") || name.equals("jlxcfs-system");
                        boolean optedOut = "disabled".equals(podInject);
                        String expected;
                        if (never) expected = null;
                        else if ("enabled".equals(nsInject)) expected = optedOut ? null : byNamespace;
                        else if ("enabled".equals(nsLegacy)) expected = optedOut ? null : byLegacyNamespace;
                        else expected = "enabled".equals(podInject) ? byPod : null;

                        List<String> got = selecting(selections, ns, pod);
                        String what = "namespace " + ns + ", pod " + pod;
                        if (expected == null) assertThat(got).as(what).isEmpty();
                        else assertThat(got).as(what).containsExactly(expected);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isEqualTo(4 * 4 * 4 * 4);
    }
}
