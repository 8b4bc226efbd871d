package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.tls.TestPki;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.http.HttpClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plain port: health, readiness that follows the serving identity, Prometheus metrics. */
class OpsEndpointsTest {
    @Test
    void readyOnlyOnceAServingIdentityIsLoaded() throws Exception {
        try (TestServer s = new TestServer(null); HttpClient client = TestServer.client(TestServer.CA)) {
            assertThat(s.ops("GET", "/healthz").statusCode()).isEqualTo(200);
            assertThat(s.ops("GET", "/readyz").statusCode()).isEqualTo(503);
            assertThatThrownBy(() -> s.review(client, "too-early")).isInstanceOf(SSLHandshakeException.class);
            assertThat(s.server.ready()).isFalse();

            TestPki.Issued issued = TestServer.CA.issue("late");
            s.identity.set(issued.identity());
            assertThat(s.ops("GET", "/readyz").statusCode()).isEqualTo(200);
            assertThat(s.review(client, "in-time").statusCode()).isEqualTo(200);
            String metrics = s.ops("GET", "/metrics").body();
            assertThat(value(metrics, "jlxcfs_webhook_certificate_expiry_timestamp_seconds"))
                    .isEqualTo(issued.cert().getNotAfter().getTime() / 1000.0);
            assertThat(value(metrics, "jlxcfs_webhook_certificate_reloads_total")).isZero();
        }
    }

    private static double value(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " missing from:\n" + metrics));
    }

    @Test
    void metricsCountAdmissionsByOutcomeAndTimeThem() throws Exception {
        try (TestServer s = TestServer.withNewCertificate(); HttpClient client = TestServer.client(TestServer.CA)) {
            s.review(client, "a");
            s.review(client, "b");
            s.post(client, "/mutate/opt-in", "application/json", FakeReviewer.review("c"));
            s.post(client, "/mutate", "application/json", "{");
            var metrics = s.ops("GET", "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            assertThat(metrics.body()).contains(
                    "# TYPE jlxcfs_webhook_admissions_total counter",
                    "jlxcfs_webhook_admissions_total{outcome=\"injected\",reason=\"injected\"} 2.0",
                    "jlxcfs_webhook_admissions_total{outcome=\"skipped\",reason=\"not-opted-in\"} 1.0",
                    "jlxcfs_webhook_admissions_total{outcome=\"invalid\",reason=\"malformed-json\"} 1.0",
                    "# TYPE jlxcfs_webhook_admission_duration_seconds histogram",
                    "jlxcfs_webhook_admission_duration_seconds_count 4",
                    "jlxcfs_webhook_admission_duration_seconds_bucket{le=\"0.005\"}");
        }
    }

    @Test
    void onlyGetAndKnownPaths() throws Exception {
        try (TestServer s = TestServer.withNewCertificate()) {
            assertThat(s.ops("POST", "/healthz").statusCode()).isEqualTo(405);
            assertThat(s.ops("GET", "/mutate").statusCode()).isEqualTo(404);
            assertThat(s.ops("HEAD", "/readyz").statusCode()).isEqualTo(200);
        }
    }
}
