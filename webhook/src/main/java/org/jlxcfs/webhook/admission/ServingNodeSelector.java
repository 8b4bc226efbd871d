package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * {@code --require-node-label}: a pod created with jlxcfs mounts gets {@code spec.nodeSelector["jlxcfs.io/serving"] =
 * "true"}, the label the daemon puts on its Node once it serves, so the scheduler places it only where its files exist
 * (elsewhere its {@code type: File} hostPaths would hold it in ContainerCreating). Only at CREATE: the node selector of
 * an existing pod cannot change.
 */
final class ServingNodeSelector {
    static final String LABEL = "jlxcfs.io/serving";
    static final String VALUE = "true";

    private ServingNodeSelector() {}

    /**
     * Adds the selector to {@code patch} unless the pod has that key already (its own value is kept, whatever it is), or
     * names its node itself: such a pod bypasses the scheduler, and the kubelet would fail it outright on a node
     * without the label, where the hostPath check only holds it until jlxcfs serves.
     */
    static void require(ObjectNode spec, PatchBuilder patch) throws Rejection {
        String nodeName = Json.text(spec, "nodeName", "spec");
        if (nodeName != null && !nodeName.isEmpty()) {
            return;
        }
        ObjectNode selector = Json.object(spec, "nodeSelector", "spec");
        if (selector == null) {
            ObjectNode fresh = Json.MAPPER.createObjectNode();
            fresh.put(LABEL, VALUE);
            patch.add("/spec/nodeSelector", fresh);
        } else if (!selector.has(LABEL)) {
            patch.add("/spec/nodeSelector/" + Json.escape(LABEL), TextNode.valueOf(VALUE));
        }
    }
}
