package org.jlxcfs.webhook.certs;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks on certificates read back from a Secret, which anyone with write access may have edited. */
final class Certificates {
    private static final byte[] PROBE = "jlxcfs key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Certificates() {}

    static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
        if (!certificate.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) return false;
        try {
            certificate.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code key} is the private half of the certificate's public key: sign a probe, verify it. */
    static boolean keyMatches(X509Certificate certificate, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(certificate.getPublicKey().getAlgorithm())) return false;
        try {
            var signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            var verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    static boolean validAt(X509Certificate certificate, Instant now) {
        return !now.isBefore(certificate.getNotBefore().toInstant()) && now.isBefore(certificate.getNotAfter().toInstant());
    }

    static boolean isCa(X509Certificate certificate) {
        return certificate.getBasicConstraints() >= 0;
    }

    static Duration lifetime(X509Certificate certificate) {
        return Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
    }

    static Duration remaining(X509Certificate certificate, Instant now) {
        return Duration.between(now, certificate.getNotAfter().toInstant());
    }

    static Set<String> dnsNames(X509Certificate certificate) {
        var names = new HashSet<String>();
        try {
            var sans = certificate.getSubjectAlternativeNames();
            if (sans == null) return names;
            for (List<?> san : sans) {
                if (san.size() == 2 && Integer.valueOf(2).equals(san.get(0))) names.add(String.valueOf(san.get(1)));
            }
        } catch (CertificateParsingException e) {
            return names;
        }
        return names;
    }

    static boolean servesAuth(X509Certificate certificate) {
        try {
            var usages = certificate.getExtendedKeyUsage();
            return usages == null || usages.contains("1.3.6.1.5.5.7.3.1");
        } catch (CertificateParsingException e) {
            return false;
        }
    }
}
