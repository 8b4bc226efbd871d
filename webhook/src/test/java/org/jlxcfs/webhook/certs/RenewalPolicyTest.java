package org.jlxcfs.webhook.certs;

import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What is kept and what is issued anew, from what a Secret holds. */
class RenewalPolicyTest {
    private static final ServiceNames NAMES = new ServiceNames("jlxcfs-webhook", "jlxcfs-system");
    private final CertificateIssuer issuer = new CertificateIssuer();
    private final RenewalPolicy policy = new RenewalPolicy(NAMES, issuer);
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    private Map<String, String> fresh(Instant now) {
        return policy.decide(Map.of(), now).bundle().toSecretData();
    }

    private static List<X509Certificate> cas(RenewalPolicy.Decision decision) {
        return decision.bundle().cas();
    }

    @Test
    void nothingStoredGivesANewCaAndServingCertificate() {
        var decision = policy.decide(Map.of(), t0);
        assertThat(decision.changes()).containsExactly("new CA", "new serving certificate");
        assertThat(Certificates.signedBy(decision.bundle().leaf(), cas(decision).getFirst())).isTrue();
    }

    @Test
    void aFreshSetIsReusedAsIs() {
        var stored = fresh(t0);
        var decision = policy.decide(stored, t0.plus(Duration.ofDays(100)));
        assertThat(decision.unchanged()).isTrue();
        assertThat(decision.bundle().toSecretData()).isEqualTo(stored);
    }

    @Test
    void theServingCertificateIsRenewedOnceLessThanAThirdOfItsLifetimeRemains() {
        var stored = fresh(t0);
        assertThat(policy.decide(stored, t0.plus(Duration.ofDays(243))).unchanged()).isTrue();
        var decision = policy.decide(stored, t0.plus(Duration.ofDays(244)));
        assertThat(decision.changes()).singleElement().asString().startsWith("new serving certificate (less than a third");
        assertThat(decision.bundle().toSecretData().get("ca.crt")).isEqualTo(stored.get("ca.crt"));
        assertThat(decision.bundle().toSecretData().get("ca.key")).isEqualTo(stored.get("ca.key"));
    }

    @Test
    void aServingCertificateForAnotherServiceOrWithAnotherKeyIsReplacedUnderTheSameCa() {
        var stored = new HashMap<>(new RenewalPolicy(new ServiceNames("other", "jlxcfs-system"), issuer).decide(Map.of(), t0).bundle().toSecretData());
        var decision = policy.decide(stored, t0);
        assertThat(decision.changes()).singleElement().asString().contains("does not name all of");
        assertThat(decision.bundle().caBundlePem()).isEqualTo(stored.get("ca.crt"));

        var mine = new HashMap<>(fresh(t0));
        mine.put("tls.key", mine.get("ca.key"));
        assertThat(policy.decide(mine, t0).changes()).singleElement().asString().contains("tls.key does not match tls.crt");
    }

    @Test
    void aCaWithoutItsKeyOrGarbageIsReplacedWhole() {
        var stored = new HashMap<>(fresh(t0));
        stored.put("ca.key", fresh(t0).get("ca.key"));
        var decision = policy.decide(stored, t0);
        assertThat(decision.changes()).hasSize(2).first().asString().contains("ca.key does not match ca.crt");
        assertThat(cas(decision)).hasSize(1);

        var garbage = Map.of("ca.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "tls.crt", "x");
        assertThat(policy.decide(garbage, t0).changes()).hasSize(2);
    }

    @Test
    void aCaRollKeepsTheOldCaAndItsServingCertificateUntilTheNewCaHasPropagated() throws Exception {
        var stored = fresh(t0);
        var oldCa = Pem.parseCertificates(stored.get("ca.crt")).getFirst();
        Instant late = t0.plus(Duration.ofDays(3652 - 400));
        // a serving certificate issued late by the old CA: fresh, and clipped to the old CA's end
        var lateSet = policy.decide(stored, late.minus(Duration.ofDays(200))).bundle().toSecretData();
        assertThat(Certificates.signedBy(Pem.parseCertificates(lateSet.get("tls.crt")).getFirst(), oldCa)).isTrue();

        Instant roll = t0.plus(Duration.ofDays(3652 - 364));
        var rolled = policy.decide(lateSet, roll);
        assertThat(rolled.changes()).singleElement().asString().startsWith("new CA (the old one expires");
        assertThat(cas(rolled)).hasSize(2).element(1).isEqualTo(oldCa);
        assertThat(rolled.bundle().leaf()).as("kept while API servers learn the new CA").isEqualTo(Pem.parseCertificates(lateSet.get("tls.crt")).getFirst());
        assertThat(rolled.bundle().identity().chain()[1]).isEqualTo(oldCa);

        var rolledData = rolled.bundle().toSecretData();
        assertThat(policy.decide(rolledData, roll.plus(Duration.ofMinutes(1))).unchanged()).isTrue();
        var moved = policy.decide(rolledData, roll.plus(Duration.ofHours(1)));
        assertThat(moved.changes()).singleElement().asString().contains("signed by the previous CA");
        assertThat(Certificates.signedBy(moved.bundle().leaf(), cas(rolled).getFirst())).isTrue();
        assertThat(cas(moved)).isEqualTo(cas(rolled));

        // once the old CA has expired it leaves the bundle
        var after = policy.decide(moved.bundle().toSecretData(), oldCa.getNotAfter().toInstant().plusSeconds(1));
        assertThat(after.changes()).contains("expired CAs dropped from the bundle");
        assertThat(cas(after)).containsExactly(cas(rolled).getFirst());
    }
}
