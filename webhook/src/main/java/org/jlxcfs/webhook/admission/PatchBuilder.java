package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An RFC 6902 patch being built: only {@code add}s, and {@code replace} of our own annotation. */
final class PatchBuilder {
    private final ArrayNode ops = Json.MAPPER.createArrayNode();

    void add(String path, JsonNode value) {
        op("add", path, value);
    }

    void replace(String path, JsonNode value) {
        op("replace", path, value);
    }

    private void op(String op, String path, JsonNode value) {
        ObjectNode node = ops.addObject();
        node.put("op", op);
        node.put("path", path);
        node.set("value", value);
    }

    boolean isEmpty() {
        return ops.isEmpty();
    }

    int size() {
        return ops.size();
    }

    byte[] toJson() {
        try {
            return Json.MAPPER.writeValueAsBytes(ops);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a patch of plain nodes did not serialise", e);
        }
    }
}
