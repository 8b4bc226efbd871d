package org.jlxcfs.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * Answers one {@code admission.k8s.io/v1} AdmissionReview. Pure: no I/O, no clock, safe from any
 * number of threads. Never throws: whatever the body, the answer lets the pod through.
 */
public final class AdmissionHandler {
    /**
     * @param status   the HTTP status to answer with (200, or 400 when no review could be read at all)
     * @param json     the response body (an AdmissionReview)
     * @param outcome  for the metrics
     * @param reason   for the metrics: one of a small fixed set of words (bounded label cardinality)
     */
    public record Answer(int status, byte[] json, Outcome outcome, String reason) {}

    /** The namespace selected the pod: inject unless it opts out. */
    public static final String PATH_MUTATE = "/mutate";
    /** The pod selected itself with its label: inject it only if it carries the label. */
    public static final String PATH_OPT_IN = "/mutate/opt-in";

    private static final System.Logger LOG = System.getLogger(AdmissionHandler.class.getName());
    private static final String V1BETA1 = "admission.k8s.io/v1beta1";

    private final InjectionConfig config;
    private final List<InjectedFile> files;

    public AdmissionHandler(InjectionConfig config) {
        this.config = config;
        this.files = config.injectedFiles();
    }

    /**
     * The answer to {@code body}, a review posted to {@code path} ({@code /mutate}: the namespace
     * selected the pod, inject unless it opts out; {@code /mutate/opt-in}: inject only a pod that
     * opts in with its label).
     */
    public Answer review(String path, byte[] body) {
        Warnings warnings = new Warnings();
        String apiVersion = ReviewAnswer.V1;
        String uid = null;
        try {
            if (body == null || body.length == 0) {
                throw new Rejection(Reason.EMPTY_BODY, "the request body is empty");
            }
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(body);
            } catch (Exception e) { // JsonProcessingException, IOException, constraint violations: all "not JSON we read"
                throw new Rejection(Reason.MALFORMED_JSON, "the request body is not valid JSON");
            }
            if (root == null || !root.isObject()) {
                throw new Rejection(Reason.NOT_A_REVIEW, "the request body is not a JSON object");
            }
            JsonNode request = root.get("request");
            uid = request == null ? null : Json.textOrNull(request, "uid");
            if (uid != null && uid.isEmpty()) {
                uid = null;
            }
            String version = Json.textOrNull(root, "apiVersion");
            if (V1BETA1.equals(version)) {
                apiVersion = V1BETA1; // so an old API server can read the answer that lets its pod through
            }
            return decide(path, root, version, request, uid, warnings, apiVersion);
        } catch (Rejection rejection) {
            warnings.add(rejection.warning() + "; admitted unchanged");
            return answer(uid, apiVersion, null, warnings, Outcome.INVALID, rejection.reason());
        } catch (RuntimeException | StackOverflowError e) {
            LOG.log(System.Logger.Level.ERROR, "admission review failed; the pod is admitted unchanged", e);
            warnings.add("internal error; admitted unchanged");
            return answer(uid, apiVersion, null, warnings, Outcome.INVALID, Reason.INTERNAL_ERROR);
        }
    }

    private Answer decide(String path, JsonNode root, String version, JsonNode request, String uid, Warnings warnings,
                          String apiVersion) throws Rejection {
        if (!"AdmissionReview".equals(Json.textOrNull(root, "kind"))) {
            throw new Rejection(Reason.WRONG_KIND, "the request is not an AdmissionReview");
        }
        if (!ReviewAnswer.V1.equals(version)) {
            throw new Rejection(Reason.WRONG_VERSION, "only AdmissionReview " + ReviewAnswer.V1 + " is understood");
        }
        if (request == null || !request.isObject()) {
            throw new Rejection(Reason.NOT_A_REVIEW, "the AdmissionReview has no request");
        }
        if (uid == null) {
            throw new Rejection(Reason.MISSING_UID, "the AdmissionReview request has no uid");
        }
        boolean optIn;
        if (PATH_MUTATE.equals(path)) {
            optIn = false;
        } else if (PATH_OPT_IN.equals(path)) {
            optIn = true;
        } else {
            throw new Rejection(Reason.UNKNOWN_PATH, "unknown webhook path");
        }

        if (!isPodRequest(request)) {
            return answer(uid, apiVersion, null, warnings, Outcome.SKIPPED, Reason.NOT_A_POD);
        }
        String operation = Json.textOrNull(request, "operation");
        String subResource = Json.textOrNull(request, "subResource");
        boolean create = "CREATE".equals(operation) && (subResource == null || subResource.isEmpty());
        boolean ephemeral = "UPDATE".equals(operation) && "ephemeralcontainers".equals(subResource);
        if (!create && !ephemeral) {
            return answer(uid, apiVersion, null, warnings, Outcome.SKIPPED, Reason.OTHER_OPERATION);
        }

        JsonNode objectNode = request.get("object");
        if (objectNode == null || !objectNode.isObject()) {
            throw new Rejection(Reason.MISSING_OBJECT, "the AdmissionReview request has no object");
        }
        ObjectNode pod = (ObjectNode) objectNode;
        String objectKind = Json.textOrNull(pod, "kind");
        if (objectKind != null && !objectKind.equals("Pod")) {
            throw new Rejection(Reason.MALFORMED_POD, "the request's object is not a Pod");
        }
        ObjectNode metadata = Json.object(pod, "metadata", "object");
        ObjectNode spec = Json.object(pod, "spec", "object");
        if (spec == null) {
            throw new Rejection(Reason.MALFORMED_POD, "the Pod has no spec");
        }
        String namespace = Json.textOrNull(request, "namespace");
        if (namespace == null || namespace.isEmpty()) {
            namespace = metadata == null ? null : Json.textOrNull(metadata, "namespace");
        }

        Selection.Skip skip = Selection.decide(namespace, metadata, spec, config.ownNamespace(), optIn);
        if (ephemeral) {
            return ephemeral(uid, apiVersion, skip, spec, request, warnings);
        }
        if (skip != null) {
            PatchBuilder patch = new PatchBuilder();
            if (skip.annotate()) {
                StatusAnnotation.set(metadata, skip.statusValue(), patch);
            }
            return answer(uid, apiVersion, patch, warnings, Outcome.SKIPPED, skip.reason());
        }
        PodInjection.Plan plan = PodInjection.plan(spec, files, warnings);
        if (config.requireNodeLabel() && plan.mountsOurFiles()) {
            ServingNodeSelector.require(spec, plan.patch());
        }
        String status = plan.skipped().isEmpty() ? StatusAnnotation.INJECTED : StatusAnnotation.partial(plan.skipped());
        StatusAnnotation.set(metadata, status, plan.patch());
        warnSkipped(plan.skipped(), warnings);
        return planned(uid, apiVersion, plan, warnings);
    }

    private Answer ephemeral(String uid, String apiVersion, Selection.Skip skip, ObjectNode spec, JsonNode request,
                             Warnings warnings) throws Rejection {
        if (skip != null) {
            return answer(uid, apiVersion, null, warnings, Outcome.SKIPPED, skip.reason());
        }
        ObjectNode oldObject = request.get("oldObject") instanceof ObjectNode old ? old : null;
        PodInjection.Plan plan = EphemeralInjection.plan(spec, oldObject, files);
        if (plan == null) {
            return answer(uid, apiVersion, null, warnings, Outcome.SKIPPED, Reason.NO_VOLUMES);
        }
        warnSkipped(plan.skipped(), warnings);
        return planned(uid, apiVersion, plan, warnings);
    }

    private static Answer planned(String uid, String apiVersion, PodInjection.Plan plan, Warnings warnings) {
        if (!plan.changed()) {
            return answer(uid, apiVersion, plan.patch(), warnings, Outcome.SKIPPED, Reason.ALREADY_INJECTED);
        }
        return plan.skipped().isEmpty()
                ? answer(uid, apiVersion, plan.patch(), warnings, Outcome.INJECTED, Reason.INJECTED)
                : answer(uid, apiVersion, plan.patch(), warnings, Outcome.PARTIAL, Reason.CONFLICTS);
    }

    private static void warnSkipped(List<ContainerMounts.Skipped> skipped, Warnings warnings) {
        for (ContainerMounts.Skipped skip : skipped) {
            warnings.add(skip.mountPath() + " not mounted in container " + Warnings.clean(skip.container(), 64) + ": "
                    + skip.why());
        }
    }

    /** A request about a core v1 Pod, by its kind (or, lacking one, its resource). */
    private static boolean isPodRequest(JsonNode request) {
        JsonNode kind = request.get("kind");
        if (kind != null && kind.isObject()) {
            String group = Json.textOrNull(kind, "group");
            return "Pod".equals(Json.textOrNull(kind, "kind")) && (group == null || group.isEmpty());
        }
        JsonNode resource = request.get("resource");
        if (resource != null && resource.isObject()) {
            String group = Json.textOrNull(resource, "group");
            return "pods".equals(Json.textOrNull(resource, "resource")) && (group == null || group.isEmpty());
        }
        return false;
    }

    private static Answer answer(String uid, String apiVersion, PatchBuilder patch, Warnings warnings, Outcome outcome,
                                 Reason reason) {
        byte[] patchJson = patch == null || patch.isEmpty() ? null : patch.toJson();
        byte[] json = ReviewAnswer.write(apiVersion, uid == null ? "" : uid, patchJson, warnings.list());
        return new Answer(uid == null ? 400 : 200, json, outcome, reason.label());
    }
}
