package org.jlxcfs.webhook.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * A Kubernetes label selector (matchLabels and matchExpressions, all ANDed), evaluated as the API
 * server does for a webhook's namespaceSelector and objectSelector. A missing selector matches all.
 */
record LabelSelector(JsonNode selector) {
    boolean matches(Map<String, String> labels) {
        if (selector == null || selector.isMissingNode() || selector.isNull()) return true;
        var matchLabels = selector.path("matchLabels").properties();
        for (var entry : matchLabels) {
            if (!entry.getValue().asText().equals(labels.get(entry.getKey()))) return false;
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            if (!matches(expression, labels)) return false;
        }
        return true;
    }

    private static boolean matches(JsonNode expression, Map<String, String> labels) {
        String key = expression.path("key").asText();
        Set<String> values = StreamSupport.stream(expression.path("values").spliterator(), false)
                .map(JsonNode::asText).collect(java.util.stream.Collectors.toSet());
        String operator = expression.path("operator").asText();
        return switch (operator) {
            case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
            // NotIn matches objects without the label too, as the API server's does
            case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
            case "Exists" -> labels.containsKey(key);
            case "DoesNotExist" -> !labels.containsKey(key);
            default -> throw new AssertionError("unknown selector operator " + operator + " in " + expression);
        };
    }
}
