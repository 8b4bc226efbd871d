package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.jlxcfs.webhook.admission.InjectionConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * overlays/admission-policy: the MutatingAdmissionPolicy injects what the webhook injects by
 * default, fails open, and skips the pods the webhook would not touch. (No CEL implementation is
 * on the test class path: the expressions are checked for their data and their brackets.)
 */
class AdmissionPolicyOverlayTest {
    /** rendered on first use: without kubectl the tests are skipped, not broken in a static initialiser */
    private static RenderedOverlay overlay() {
        return RenderedOverlay.of("admission-policy");
    }
    private static final Pattern FILE_ENTRY = Pattern.compile("\\{'name': '([^']+)', 'path': '([^']+)'}");
    private static final Pattern MAP_ENTRY = Pattern.compile("'([^']+)': '([^']+)'");

    private static JsonNode spec() {
        return overlay().one("MutatingAdmissionPolicy", "jlxcfs").path("spec");
    }

    private static String named(JsonNode list, String name) {
        for (JsonNode item : list) if (item.path("name").asText().equals(name)) return item.path("expression").asText();
        throw new AssertionError("no " + name + " in " + list);
    }

    /** volume name -> path in the container, as the webhook names them by default */
    private static Map<String, String> webhookDefaults() {
        Map<String, String> files = new LinkedHashMap<>();
        for (String file : InjectionConfig.DEFAULT_FILES) files.put("jlxcfs-" + file.replace('/', '-'), "/" + file);
        return files;
    }

    private static Map<String, String> entries(Pattern pattern, String expression) {
        Map<String, String> map = new LinkedHashMap<>();
        Matcher m = pattern.matcher(expression);
        while (m.find()) assertThat(map.put(m.group(1), m.group(2))).as("twice: " + m.group(1)).isNull();
        return map;
    }

    @Test
    void failsOpenIsReinvokedAndHasNoParameters() {
        JsonNode spec = spec();
        assertThat(overlay().one("MutatingAdmissionPolicy", "jlxcfs").path("apiVersion").asText())
                .isEqualTo("admissionregistration.k8s.io/v1beta1");
        assertThat(spec.path("failurePolicy").asText()).isEqualTo("Ignore");
        assertThat(spec.path("reinvocationPolicy").asText()).isEqualTo("IfNeeded");
        assertThat(spec.has("paramKind")).isFalse();
        assertThat(spec.at("/matchConstraints/matchPolicy").asText()).isEqualTo("Equivalent");
        List<String> rules = new ArrayList<>();
        for (JsonNode rule : spec.at("/matchConstraints/resourceRules")) {
            rule.path("operations").forEach(o -> rule.path("resources").forEach(r -> rules.add(o.asText() + " " + r.asText())));
        }
        assertThat(rules).containsExactly("CREATE pods");
        for (JsonNode binding : overlay().all("MutatingAdmissionPolicyBinding")) {
            assertThat(binding.at("/spec/policyName").asText()).isEqualTo("jlxcfs");
            assertThat(binding.at("/spec/paramRef").isMissingNode()).isTrue();
        }
    }

    @Test
    void injectsTheWebhooksDefaultFiles() {
        Map<String, String> files = entries(FILE_ENTRY, named(spec().path("variables"), "files"));
        assertThat(files).containsExactlyEntriesOf(webhookDefaults());
        String source = InjectionConfig.DEFAULT_SOURCE_DIR.toString();
        JsonNode mutations = spec().path("mutations");
        assertThat(mutations).hasSize(2);
        for (JsonNode mutation : mutations) assertThat(mutation.path("patchType").asText()).isEqualTo("ApplyConfiguration");
        String main = mutations.get(0).at("/applyConfiguration/expression").asText();
        assertThat(main).contains("path: '" + source + "' + f.path, type: 'File'")
                .contains("readOnly: true")
                .contains("'jlxcfs.io/status': 'injected'")
                .contains("containers: object.spec.containers.map(");
        assertThat(mutations.get(1).at("/applyConfiguration/expression").asText())
                .contains("initContainers: object.spec.initContainers.map(").contains("readOnly: true");
    }

    @Test
    void skipsPodsWhoseVolumesOrMountsTheMergeWouldReplace() {
        String source = InjectionConfig.DEFAULT_SOURCE_DIR.toString();
        Map<String, String> hostPaths = new LinkedHashMap<>();
        Map<String, String> mountNames = new LinkedHashMap<>();
        webhookDefaults().forEach((name, path) -> {
            hostPaths.put(name, source + path);
            mountNames.put(path, name);
        });
        JsonNode conditions = spec().path("matchConditions");
        String volumes = named(conditions, "no-other-volume-with-our-names");
        assertThat(entries(MAP_ENTRY, volumes)).containsExactlyEntriesOf(hostPaths);
        assertThat(volumes).contains("v.hostPath.path == ours[v.name]");
        String mounts = named(conditions, "no-other-mount-at-our-paths");
        assertThat(entries(MAP_ENTRY, mounts)).containsExactlyEntriesOf(mountNames);
        assertThat(mounts).contains("object.spec.containers.all(").contains("object.spec.initContainers.all(")
                .contains("m.name == ours[m.mountPath]");
    }

    @Test
    void skipsMirrorWindowsAndOptedOutPods() {
        JsonNode conditions = spec().path("matchConditions");
        assertThat(named(conditions, "not-a-mirror-pod")).contains("'kubernetes.io/config.mirror'");
        assertThat(named(conditions, "not-a-windows-pod")).contains("'windows'");
        assertThat(named(conditions, "not-opted-out")).contains("'jlxcfs.io/inject'")
                .contains("'lxcfs-admission-webhook.aliyun.com/mutate'").contains("['n', 'no', 'false', 'off']");
        assertThat(spec().at("/matchConstraints/namespaceSelector/matchExpressions/0/values"))
                .extracting(JsonNode::asText).containsExactlyInAnyOrder("kube-system", "jlxcfs-system");
    }

    @Test
    void everyExpressionIsBalanced() {
        List<JsonNode> expressions = new ArrayList<>();
        spec().path("matchConditions").forEach(expressions::add);
        spec().path("variables").forEach(expressions::add);
        spec().path("mutations").forEach(m -> expressions.add(m.path("applyConfiguration")));
        assertThat(expressions).hasSize(5 + 1 + 2);
        for (JsonNode e : expressions) {
            String expression = e.path("expression").asText();
            assertThat(expression).isNotBlank();
            assertThat(Cel.unbalanced(expression)).as(expression).isEmpty();
        }
    }
}
