package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one shared mapper (thread-safe once built) and typed reads of a tree whose shape nobody promised. */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // "{...} junk" is not a review
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Json() {}

    /** The member as an object; null when absent or JSON null; a {@link Rejection} when it is something else. */
    static ObjectNode object(JsonNode parent, String field, String where) throws Rejection {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new Rejection(Reason.MALFORMED_POD, where + "." + field + " is not an object");
        }
        return (ObjectNode) node;
    }

    /** The member as an array; null when absent or JSON null; a {@link Rejection} when it is something else. */
    static ArrayNode array(JsonNode parent, String field, String where) throws Rejection {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw new Rejection(Reason.MALFORMED_POD, where + "." + field + " is not an array");
        }
        return (ArrayNode) node;
    }

    /** The member as a string; null when absent or JSON null; a {@link Rejection} when it is something else. */
    static String text(JsonNode parent, String field, String where) throws Rejection {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new Rejection(Reason.MALFORMED_POD, where + "." + field + " is not a string");
        }
        return node.textValue();
    }

    /** The member as a string, or null for anything else: for fields whose oddity changes nothing. */
    static String textOrNull(JsonNode parent, String field) {
        JsonNode node = parent == null ? null : parent.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /** A string of a string-to-string map (labels, annotations), null when absent or not a string. */
    static String entry(ObjectNode map, String key) {
        return textOrNull(map, key);
    }

    /** One JSON pointer segment: {@code ~} is {@code ~0}, {@code /} is {@code ~1} (RFC 6901). */
    static String escape(String segment) {
        if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) {
            return segment;
        }
        return segment.replace("~", "~0").replace("/", "~1");
    }
}
