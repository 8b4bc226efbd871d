package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The selector evaluator the selection tests rely on, against the API server's documented semantics. */
class LabelSelectorTest {
    private static LabelSelector selector(String json) throws Exception {
        JsonNode node = new ObjectMapper().readTree(json);
        return new LabelSelector(node);
    }

    @Test
    void emptyOrMissingSelectsEverything() throws Exception {
        assertThat(selector("{}").matches(Map.of())).isTrue();
        assertThat(new LabelSelector(null).matches(Map.of("a", "b"))).isTrue();
    }

    @Test
    void matchLabelsAndExpressionsAreAllRequired() throws Exception {
        LabelSelector s = selector("""
                {"matchLabels": {"a": "1"},
                 "matchExpressions": [{"key": "b", "operator": "In", "values": ["x", "y"]}]}""");
        assertThat(s.matches(Map.of("a", "1", "b", "y"))).isTrue();
        assertThat(s.matches(Map.of("a", "1", "b", "z"))).isFalse();
        assertThat(s.matches(Map.of("a", "1"))).isFalse();
        assertThat(s.matches(Map.of("a", "2", "b", "x"))).isFalse();
    }

    @Test
    void notInAndDoesNotExistMatchObjectsWithoutTheLabel() throws Exception {
        LabelSelector notIn = selector("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"NotIn\", \"values\": [\"v\"]}]}");
        assertThat(notIn.matches(Map.of())).isTrue();
        assertThat(notIn.matches(Map.of("k", "w"))).isTrue();
        assertThat(notIn.matches(Map.of("k", "v"))).isFalse();
        LabelSelector absent = selector("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"DoesNotExist\"}]}");
        assertThat(absent.matches(Map.of())).isTrue();
        assertThat(absent.matches(Map.of("k", ""))).isFalse();
        LabelSelector exists = selector("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"Exists\"}]}");
        assertThat(exists.matches(Map.of("k", ""))).isTrue();
        assertThat(exists.matches(Map.of())).isFalse();
    }

    @Test
    void anUnknownOperatorIsAnError() throws Exception {
        LabelSelector s = selector("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"Equals\", \"values\": [\"v\"]}]}");
        assertThatThrownBy(() -> s.matches(Map.of())).hasMessageContaining("Equals");
    }
}
