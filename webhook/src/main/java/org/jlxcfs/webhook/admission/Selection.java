package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;
import java.util.Set;

/**
 * Whether a pod is injected. The API server already filtered by namespace or pod label (see the
 * MutatingWebhookConfiguration); this decides what it cannot: opt-outs, mirror pods, Windows, and the namespaces that
 * must never depend on the webhook.
 */
final class Selection {
    static final String INJECT_LABEL = "jlxcfs.io/inject";
    static final String ENABLED = "enabled";
    static final String DISABLED = "disabled";
    /** The seed webhook's opt-out annotation, honoured for users moving over. */
    static final String LEGACY_OPT_OUT = "lxcfs-admission-webhook.aliyun.com/mutate";
    static final Set<String> LEGACY_NO = Set.of("n", "no", "false", "off");
    static final String MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
    static final String SYSTEM_NAMESPACE = "kube-system";

    /** Why a pod is left alone; {@code annotate}: say so in the status annotation (the pod was a candidate). */
    record Skip(Reason reason, boolean annotate) {
        String statusValue() {
            return "skipped: " + reason.label();
        }
    }

    private Selection() {}

    /** Null when the pod is to be injected, else why not. */
    static Skip decide(String namespace, ObjectNode metadata, ObjectNode spec, String ownNamespace, boolean optInPath)
            throws Rejection {
        ObjectNode labels = metadata == null ? null : Json.object(metadata, "labels", "metadata");
        ObjectNode annotations = metadata == null ? null : Json.object(metadata, "annotations", "metadata");
        if (ownNamespace.equals(namespace)) {
            return new Skip(Reason.OWN_NAMESPACE, false);
        }
        if (SYSTEM_NAMESPACE.equals(namespace)) {
            return new Skip(Reason.SYSTEM_NAMESPACE, false);
        }
        if (annotations != null && annotations.has(MIRROR_ANNOTATION)) {
            return new Skip(Reason.MIRROR_POD, false);
        }
        if (optInPath && !ENABLED.equals(Json.entry(labels, INJECT_LABEL))) {
            return new Skip(Reason.NOT_OPTED_IN, false);
        }
        if (optedOut(labels, annotations)) {
            return new Skip(Reason.OPTED_OUT, true);
        }
        if (isWindows(spec)) {
            return new Skip(Reason.WINDOWS, true);
        }
        return null;
    }

    private static boolean optedOut(ObjectNode labels, ObjectNode annotations) {
        if (DISABLED.equals(Json.entry(labels, INJECT_LABEL)) || DISABLED.equals(Json.entry(annotations, INJECT_LABEL))) {
            return true;
        }
        String legacy = Json.entry(annotations, LEGACY_OPT_OUT);
        return legacy != null && LEGACY_NO.contains(legacy.strip().toLowerCase(Locale.ROOT));
    }

    private static boolean isWindows(ObjectNode spec) {
        ObjectNode os = spec.get("os") instanceof ObjectNode o ? o : null;
        ObjectNode nodeSelector = spec.get("nodeSelector") instanceof ObjectNode o ? o : null;
        return "windows".equals(Json.entry(os, "name")) || "windows".equals(Json.entry(nodeSelector, "kubernetes.io/os"));
    }
}
