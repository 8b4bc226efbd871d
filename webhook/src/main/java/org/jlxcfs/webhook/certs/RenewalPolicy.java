package org.jlxcfs.webhook.certs;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides, from what a Secret holds, what to keep and what to issue anew.
 *
 * <ul>
 *   <li>The CA is kept while it is readable, matches its key and has more than a year left; then a new CA
 *       is made and the old one stays in the bundle until it expires, because serving certificates it
 *       signed (this replica's, another replica's) must keep verifying.</li>
 *   <li>The serving certificate is kept while it matches its key, names the Service, is signed by a CA of
 *       the bundle and has more than a third of its lifetime left. After a CA roll it moves to the new CA
 *       once the new CA has been in the bundle for {@link #CA_PROPAGATION}, so that the API servers have
 *       seen the new caBundle before any certificate needs it.</li>
 * </ul>
 */
final class RenewalPolicy {
    static final Duration CA_RENEW_BEFORE = Duration.ofDays(365);
    static final Duration CA_PROPAGATION = Duration.ofMinutes(10);
    /** At most this many CAs in the bundle: the current one and the one being rolled out. */
    private static final int MAX_CAS = 2;

    private final ServiceNames names;
    private final CertificateIssuer issuer;

    RenewalPolicy(ServiceNames names, CertificateIssuer issuer) {
        this.names = names;
        this.issuer = issuer;
    }

    /** What to use, and why it differs from what was stored (empty: reuse as is). */
    record Decision(CertificateBundle bundle, List<String> changes) {
        boolean unchanged() {
            return changes.isEmpty();
        }
    }

    Decision decide(Map<String, String> stored, Instant now) {
        var changes = new ArrayList<String>();
        List<X509Certificate> storedCas = List.of();
        PrivateKey caKey = null;
        String caProblem = null;
        try {
            storedCas = Pem.parseCertificates(required(stored, CertificateBundle.CA_CRT));
            caKey = Pem.parsePrivateKey(required(stored, CertificateBundle.CA_KEY));
            X509Certificate newest = storedCas.getFirst();
            if (!Certificates.isCa(newest)) caProblem = "the first certificate of " + CertificateBundle.CA_CRT + " is not a CA";
            else if (!Certificates.keyMatches(newest, caKey)) caProblem = CertificateBundle.CA_KEY + " does not match " + CertificateBundle.CA_CRT;
            else if (!Certificates.validAt(newest, now)) caProblem = "the CA is not valid now (valid " + newest.getNotBefore().toInstant() + " to " + newest.getNotAfter().toInstant() + ")";
        } catch (IOException e) {
            caProblem = e.getMessage();
        }

        List<X509Certificate> cas = new ArrayList<>();
        if (caProblem != null) {
            var ca = issuer.issueCa(names, now);
            cas.add(ca.certificate());
            caKey = ca.key();
            changes.add(stored.isEmpty() ? "new CA" : "new CA (" + caProblem + ")");
        } else if (Certificates.remaining(storedCas.getFirst(), now).compareTo(CA_RENEW_BEFORE) < 0) {
            var ca = issuer.issueCa(names, now);
            cas.add(ca.certificate());
            caKey = ca.key();
            changes.add("new CA (the old one expires " + storedCas.getFirst().getNotAfter().toInstant() + "; kept in the bundle until then)");
            addStillValid(cas, storedCas, now);
        } else {
            addStillValid(cas, storedCas, now);
            if (cas.size() != storedCas.size()) changes.add("expired CAs dropped from the bundle");
        }

        X509Certificate leaf = null;
        PrivateKey leafKey = null;
        String leafProblem;
        try {
            leaf = Pem.parseCertificates(required(stored, CertificateBundle.TLS_CRT)).getFirst();
            leafKey = Pem.parsePrivateKey(required(stored, CertificateBundle.TLS_KEY));
            leafProblem = leafProblem(leaf, leafKey, cas, now);
        } catch (IOException e) {
            leafProblem = e.getMessage();
        }
        if (leafProblem != null) {
            var issued = issuer.issueServing(names, new CertificateIssuer.IssuedCertificate(cas.getFirst(), caKey), now);
            leaf = issued.certificate();
            leafKey = issued.key();
            changes.add(stored.isEmpty() ? "new serving certificate" : "new serving certificate (" + leafProblem + ")");
        }
        return new Decision(new CertificateBundle(cas, caKey, leaf, leafKey), List.copyOf(changes));
    }

    /** Why the serving certificate cannot stay, or null when it can. */
    private String leafProblem(X509Certificate leaf, PrivateKey key, List<X509Certificate> cas, Instant now) {
        if (!Certificates.keyMatches(leaf, key)) return CertificateBundle.TLS_KEY + " does not match " + CertificateBundle.TLS_CRT;
        if (!Certificates.dnsNames(leaf).containsAll(names.dnsNames())) return "it does not name all of " + names.dnsNames();
        if (!Certificates.servesAuth(leaf)) return "it is not for serverAuth";
        if (!Certificates.validAt(leaf, now)) return "it is not valid now (until " + leaf.getNotAfter().toInstant() + ")";
        Duration remaining = Certificates.remaining(leaf, now);
        if (remaining.multipliedBy(3).compareTo(Certificates.lifetime(leaf)) < 0) {
            return "less than a third of its lifetime left, expires " + leaf.getNotAfter().toInstant();
        }
        X509Certificate newest = cas.getFirst();
        if (Certificates.signedBy(leaf, newest)) return null;
        boolean signedByBundle = cas.stream().anyMatch(ca -> Certificates.signedBy(leaf, ca));
        if (!signedByBundle) return "it is not signed by the CA";
        Instant newestInBundleSince = newest.getNotBefore().toInstant().plus(CertificateIssuer.CLOCK_SKEW);
        if (!now.isBefore(newestInBundleSince.plus(CA_PROPAGATION))) return "it is signed by the previous CA";
        return null;
    }

    private static void addStillValid(List<X509Certificate> cas, List<X509Certificate> stored, Instant now) {
        for (var ca : stored) {
            if (cas.size() >= MAX_CAS) break;
            if (Certificates.isCa(ca) && Certificates.validAt(ca, now) && !cas.contains(ca)) cas.add(ca);
        }
    }

    private static String required(Map<String, String> data, String key) throws IOException {
        String value = data.get(key);
        if (value == null || value.isBlank()) throw new IOException(key + " is missing");
        return value;
    }
}
