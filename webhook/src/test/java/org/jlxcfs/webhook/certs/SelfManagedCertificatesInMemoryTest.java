package org.jlxcfs.webhook.certs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Without a Kubernetes API: certificates in memory, the CA written to a file. */
class SelfManagedCertificatesInMemoryTest {
    @TempDir
    Path temp;
    private SelfManagedCertificates certificates;

    @AfterEach
    void tearDown() {
        if (certificates != null) certificates.close();
    }

    private SelfManagedCertificates start(MutableClock clock, Optional<Path> caBundleOut) {
        certificates = SelfManagedCertificates.start(new SelfManagedCertificates.Settings("ns", "svc", "secret", "config",
                Optional.empty(), caBundleOut, clock).withCheckInterval(Duration.ofHours(1)));
        return certificates;
    }

    @Test
    void anIdentityIsIssuedAndTheCaWrittenToTheBundleFile() throws Exception {
        Path out = temp.resolve("ca.pem");
        var certificates = start(MutableClock.ofNow(), Optional.of(out));
        var identity = certificates.get();
        assertThat(identity.chain()).hasSize(2);
        assertThat(Certificates.keyMatches(identity.chain()[0], identity.key())).isTrue();
        assertThat(Files.readString(out)).isEqualTo(certificates.caBundlePem());
        assertThat(Pem.parseCertificates(Files.readString(out))).containsExactly(identity.chain()[1]);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");
        assertThat(certificates.notAfter()).isEqualTo(identity.chain()[0].getNotAfter().toInstant());
        try (var files = Files.list(temp)) {
            assertThat(files).as("no temporary file left").containsExactly(out);
        }
    }

    @Test
    void renewalHappensInMemoryAndTheBundleFileStaysWhileTheCaDoes() throws Exception {
        Path out = temp.resolve("ca.pem");
        var clock = MutableClock.ofNow();
        var certificates = start(clock, Optional.of(out));
        var before = certificates.get();
        var modified = Files.getLastModifiedTime(out);
        var renewed = new java.util.concurrent.atomic.AtomicInteger();
        certificates.onRenewal(renewed::incrementAndGet);

        clock.advance(Duration.ofDays(250));
        assertThat(certificates.checkNow()).isTrue();

        assertThat(certificates.get().chain()[0]).isNotEqualTo(before.chain()[0]);
        assertThat(certificates.get().chain()[1]).isEqualTo(before.chain()[1]);
        assertThat(renewed.get()).isEqualTo(1);
        assertThat(certificates.renewals()).isEqualTo(1);
        assertThat(Files.getLastModifiedTime(out)).isEqualTo(modified);
        assertThat(certificates.checkNow()).isTrue();
        assertThat(renewed.get()).as("nothing more to renew").isEqualTo(1);
    }

    @Test
    void anUnwritableBundleFileFailsTheStartNamingIt() {
        Path out = temp.resolve("missing-dir/ca.pem");
        assertThatThrownBy(() -> start(MutableClock.ofNow(), Optional.of(out)))
                .isInstanceOf(CertificateSetupException.class)
                .hasMessageContaining(out.toString());
    }

    @Test
    void theInClusterApiServerComesFromTheServiceEnvironment() {
        assertThat(SelfManagedCertificates.inClusterApiServer(Map.of())).isEmpty();
        assertThat(SelfManagedCertificates.inClusterApiServer(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443")))
                .contains(URI.create("https://10.96.0.1:443"));
        assertThat(SelfManagedCertificates.inClusterApiServer(Map.of("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", "KUBERNETES_SERVICE_PORT", "6443")))
                .contains(URI.create("https://[fd00:10:96::1]:6443"));
        assertThat(SelfManagedCertificates.inClusterApiServer(Map.of("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")))
                .contains(URI.create("https://kubernetes.default.svc:443"));
        assertThat(SelfManagedCertificates.inClusterApiServer(Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "443"))
                .orElseThrow().getHost()).isEqualTo("[fd00::1]");
        assertThatThrownBy(() -> SelfManagedCertificates.inClusterApiServer(Map.of("KUBERNETES_SERVICE_HOST", "h", "KUBERNETES_SERVICE_PORT", "https")))
                .hasMessageContaining("$KUBERNETES_SERVICE_PORT");
    }
}
