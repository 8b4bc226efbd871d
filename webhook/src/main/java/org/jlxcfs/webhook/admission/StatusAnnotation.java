package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.List;

/** The pod's record of what the webhook did: {@code jlxcfs.io/status: injected | partial: ... | skipped: ...}. */
final class StatusAnnotation {
    static final String KEY = "jlxcfs.io/status";
    static final String INJECTED = "injected";
    /** Annotations share 256 KiB per object; ours stays small whatever the pod holds. */
    static final int MAX_LENGTH = 1024;

    private StatusAnnotation() {}

    /** {@code partial: <path> in <container>: <why>; ...}, cut at a whole item when long. */
    static String partial(List<ContainerMounts.Skipped> skipped) {
        StringBuilder value = new StringBuilder("partial: ");
        for (int i = 0; i < skipped.size(); i++) {
            String item = (i == 0 ? "" : "; ") + skipped.get(i).describe();
            if (value.length() + item.length() > MAX_LENGTH - 5) {
                value.append("; ...");
                break;
            }
            value.append(item);
        }
        return Warnings.clean(value.toString(), MAX_LENGTH);
    }

    /** Sets the annotation to {@code value} unless it holds it already; never touches another annotation. */
    static void set(ObjectNode metadata, String value, PatchBuilder patch) throws Rejection {
        if (metadata == null) {
            ObjectNode fresh = Json.MAPPER.createObjectNode();
            fresh.putObject("annotations").put(KEY, value);
            patch.add("/metadata", fresh);
            return;
        }
        ObjectNode annotations = Json.object(metadata, "annotations", "metadata");
        if (annotations == null) {
            ObjectNode fresh = Json.MAPPER.createObjectNode();
            fresh.put(KEY, value);
            patch.add("/metadata/annotations", fresh);
            return;
        }
        JsonNode current = annotations.get(KEY);
        String pointer = "/metadata/annotations/" + Json.escape(KEY);
        if (current == null) {
            patch.add(pointer, TextNode.valueOf(value));
        } else if (!(current.isTextual() && current.textValue().equals(value))) {
            patch.replace(pointer, TextNode.valueOf(value));
        }
    }
}
