package org.jlxcfs.webhook.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jlxcfs.webhook.admission.Outcome;
import org.jlxcfs.webhook.tls.ServingIdentity;

import java.io.IOException;
import java.io.OutputStream;
import java.util.regex.Pattern;

/** The webhook's metrics, in a registry of its own (not the process-wide default one). */
public final class WebhookMetrics {
    /** Reasons become label values: anything but a short word is counted as "other" (bounded cardinality). */
    private static final Pattern REASON = Pattern.compile("[a-z0-9][a-z0-9-]{0,47}");
    private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter admissions = Counter.builder()
            .name("jlxcfs_webhook_admissions_total")
            .help("AdmissionReviews answered (and HTTP requests refused, as outcome invalid), by outcome and reason")
            .labelNames("outcome", "reason")
            .register(registry);
    private final Histogram duration = Histogram.builder()
            .name("jlxcfs_webhook_admission_duration_seconds")
            .help("Time from a request's headers to its answer")
            .classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
            .register(registry);
    private final Gauge expiry = Gauge.builder()
            .name("jlxcfs_webhook_certificate_expiry_timestamp_seconds")
            .help("When the serving certificate in use expires (Unix time)")
            .register(registry);
    private final Counter reloads = Counter.builder()
            .name("jlxcfs_webhook_certificate_reloads_total")
            .help("Times a new serving certificate was taken without a restart")
            .register(registry);

    public void admission(Outcome outcome, String reason, long nanos) {
        String r = reason != null && REASON.matcher(reason).matches() ? reason : "other";
        admissions.labelValues(outcome.label(), r).inc();
        duration.observe(nanos / 1e9);
    }

    /** For {@link org.jlxcfs.webhook.tls.IdentityWatch}: a new serving identity is in use. */
    public void identityChanged(ServingIdentity identity, boolean reload) {
        expiry.set(identity.chain()[0].getNotAfter().getTime() / 1000.0);
        if (reload) reloads.inc();
    }

    public String contentType() {
        return TEXT.getContentType();
    }

    public void writeTo(OutputStream out) throws IOException {
        TEXT.write(out, registry.scrape());
    }
}
