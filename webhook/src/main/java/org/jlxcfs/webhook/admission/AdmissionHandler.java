package org.jlxcfs.webhook.admission;

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

    private final InjectionConfig config;

    public AdmissionHandler(InjectionConfig config) {
        this.config = config;
    }

    /**
     * The answer to {@code body}, a review posted to {@code path} ({@code /mutate}: the namespace
     * selected the pod, inject unless it opts out; {@code /mutate/opt-in}: inject only a pod that
     * opts in with its label).
     */
    public Answer review(String path, byte[] body) {
        throw new UnsupportedOperationException("not yet: " + config);
    }
}
