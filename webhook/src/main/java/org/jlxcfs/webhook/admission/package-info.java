/**
 * The admission decision, pure and without a server: an AdmissionReview in, an AdmissionReview out.
 *
 * <p>{@link org.jlxcfs.webhook.admission.AdmissionHandler} reads the review as a Jackson tree and answers with an RFC 6902
 * patch of {@code add}s only (and {@code replace} of its own {@code jlxcfs.io/status} annotation), so the pod is never
 * re-serialised and no field the webhook does not know can be lost. {@link org.jlxcfs.webhook.admission.Selection}
 * decides who is injected, {@link org.jlxcfs.webhook.admission.PodInjection} and
 * {@link org.jlxcfs.webhook.admission.EphemeralInjection} what is added, {@link org.jlxcfs.webhook.admission.ContainerMounts}
 * which container mounts are left to the pod. Every answer is {@code allowed: true}; unusable input gets a warning and
 * a {@link org.jlxcfs.webhook.admission.Reason} from a fixed vocabulary for the metrics.
 */
package org.jlxcfs.webhook.admission;
