package org.jlxcfs.webhook.certs;

import org.junit.jupiter.api.Test;

import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CA and serving certificates as a TLS client (the API server) judges them. */
class CertificateIssuerTest {
    private static final ServiceNames NAMES = new ServiceNames("jlxcfs-webhook", "jlxcfs-system");
    private final CertificateIssuer issuer = new CertificateIssuer();
    private final Instant now = Instant.now();

    private static void pkixValidate(X509Certificate leaf, X509Certificate ca, Instant at) throws Exception {
        var path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
        var parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(path, parameters);
    }

    @Test
    void theServingCertificateValidatesWithTheCaAsTrustAnchor() throws Exception {
        var ca = issuer.issueCa(NAMES, now);
        var serving = issuer.issueServing(NAMES, ca, now);
        pkixValidate(serving.certificate(), ca.certificate(), now);
        pkixValidate(serving.certificate(), ca.certificate(), now.plus(Duration.ofDays(364)));
    }

    @Test
    void anotherCaDoesNotValidateIt() {
        var ca = issuer.issueCa(NAMES, now);
        var other = issuer.issueCa(NAMES, now.plusSeconds(1));
        var serving = issuer.issueServing(NAMES, ca, now);
        assertThatThrownBy(() -> pkixValidate(serving.certificate(), other.certificate(), now))
                .isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void theServingCertificateNamesTheServiceFourWaysForServerAuthOnly() throws Exception {
        var serving = issuer.issueServing(NAMES, issuer.issueCa(NAMES, now), now).certificate();
        assertThat(Certificates.dnsNames(serving)).containsExactlyInAnyOrder(
                "jlxcfs-webhook", "jlxcfs-webhook.jlxcfs-system", "jlxcfs-webhook.jlxcfs-system.svc",
                "jlxcfs-webhook.jlxcfs-system.svc.cluster.local");
        assertThat(serving.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        boolean[] usage = serving.getKeyUsage();
        assertThat(usage[0]).as("digitalSignature").isTrue();
        for (int i = 1; i < usage.length; i++) assertThat(usage[i]).as("key usage bit " + i).isFalse();
        assertThat(serving.getBasicConstraints()).isEqualTo(-1);
        assertThat(serving.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(serving.getSigAlgName()).isEqualTo("SHA256withECDSA");
    }

    @Test
    void theCaIsACaForTenYearsThatSignsCertificatesAndCrlsOnly() {
        var ca = issuer.issueCa(NAMES, now).certificate();
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        boolean[] usage = ca.getKeyUsage();
        assertThat(usage[5]).as("keyCertSign").isTrue();
        assertThat(usage[6]).as("cRLSign").isTrue();
        assertThat(usage[0]).as("digitalSignature").isFalse();
        // X.509 times have whole seconds
        assertThat(Duration.between(now, ca.getNotAfter().toInstant())).isBetween(Duration.ofDays(3652).minusSeconds(1), Duration.ofDays(3652));
        assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());
    }

    @Test
    void validityStartsAFewMinutesAgoAndLastsAYearNeverPastTheCa() {
        var ca = issuer.issueCa(NAMES, now);
        var serving = issuer.issueServing(NAMES, ca, now).certificate();
        assertThat(serving.getNotBefore().toInstant()).isBefore(now.minus(Duration.ofMinutes(4)));
        assertThat(Duration.between(now, serving.getNotAfter().toInstant())).isBetween(Duration.ofDays(365).minusSeconds(1), Duration.ofDays(365));
        var late = issuer.issueServing(NAMES, ca, now.plus(Duration.ofDays(3652 - 30))).certificate();
        assertThat(late.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
    }

    @Test
    void serialsAreRandomAndPositive() {
        var ca = issuer.issueCa(NAMES, now);
        var a = issuer.issueServing(NAMES, ca, now).certificate().getSerialNumber();
        var b = issuer.issueServing(NAMES, ca, now).certificate().getSerialNumber();
        assertThat(a).isPositive().isNotEqualTo(b);
        assertThat(a.bitLength()).isLessThanOrEqualTo(159).isGreaterThan(64);
    }

    @Test
    void pemRoundTripsCertificatesAndPkcs8Keys() throws Exception {
        var ca = issuer.issueCa(NAMES, now);
        var serving = issuer.issueServing(NAMES, ca, now);
        String chain = Pem.certificates(List.of(serving.certificate(), ca.certificate()));
        assertThat(Pem.parseCertificates(chain)).containsExactly(serving.certificate(), ca.certificate());
        String key = Pem.privateKey(serving.key());
        assertThat(key).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Pem.parsePrivateKey(key)).isEqualTo(serving.key());
        assertThat(Certificates.keyMatches(serving.certificate(), Pem.parsePrivateKey(key))).isTrue();
        assertThat(Certificates.keyMatches(serving.certificate(), ca.key())).isFalse();
        assertThatThrownBy(() -> Pem.parseCertificates(key)).hasMessageContaining("expected only certificates");
        assertThatThrownBy(() -> Pem.parsePrivateKey(chain)).hasMessageContaining("expected a private key");
        assertThatThrownBy(() -> Pem.parseCertificates("garbage")).hasMessageContaining("no certificate");
    }
}
