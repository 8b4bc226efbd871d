package org.jlxcfs.webhook.certs;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Issues the webhook's CA and serving certificates.
 *
 * <p>Keys are ECDSA P-256: generated in milliseconds (an RSA 2048 key takes a good part of a second on a
 * small node, and replicas may race to make one), small in the Secret, and accepted by the Go TLS stack of
 * the API server and by every JDK. Signatures are SHA-256 with ECDSA. Only the JDK's own providers are used
 * for keys and signatures; BouncyCastle builds the X.509 structures.
 */
final class CertificateIssuer {
    static final Duration CA_VALIDITY = Duration.ofDays(3652);
    static final Duration SERVING_VALIDITY = Duration.ofDays(365);
    /** notBefore lies this far in the past, so an API server whose clock lags a little accepts a new certificate. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final String SIGNATURE = "SHA256withECDSA";

    private final SecureRandom random = new SecureRandom();

    /** A self-signed CA for the webhook's Service, valid 10 years from now. */
    IssuedCertificate issueCa(ServiceNames names, Instant now) {
        KeyPair keys = newKeyPair();
        var subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "jlxcfs")
                .addRDN(BCStyle.CN, names.serviceDns() + " CA " + now.getEpochSecond()) // unique: old and new CA differ in a roll
                .build();
        Instant notBefore = now.minus(CLOCK_SKEW);
        try {
            var utils = new JcaX509ExtensionUtils();
            var builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(notBefore),
                    Date.from(now.plus(CA_VALIDITY)), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
            return new IssuedCertificate(sign(builder, keys.getPrivate()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the webhook CA: " + e.getMessage(), e);
        }
    }

    /**
     * A serving certificate for the Service's four DNS names, signed by {@code ca}, valid one year from now
     * but never past the CA.
     */
    IssuedCertificate issueServing(ServiceNames names, IssuedCertificate ca, Instant now) {
        KeyPair keys = newKeyPair();
        Instant notBefore = now.minus(CLOCK_SKEW);
        Instant notAfter = now.plus(SERVING_VALIDITY);
        Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
        if (notAfter.isAfter(caNotAfter)) notAfter = caNotAfter;
        var subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, names.serviceDns()).build();
        List<String> dnsNames = names.dnsNames();
        var sans = new GeneralName[dnsNames.size()];
        for (int i = 0; i < sans.length; i++) sans[i] = new GeneralName(GeneralName.dNSName, dnsNames.get(i));
        try {
            var utils = new JcaX509ExtensionUtils();
            var builder = new JcaX509v3CertificateBuilder(X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                    serial(), Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca.certificate()));
            return new IssuedCertificate(sign(builder, ca.key()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the serving certificate for " + names.serviceDns() + ": " + e.getMessage(), e);
        }
    }

    private KeyPair newKeyPair() {
        try {
            var generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make EC P-256 keys: " + e.getMessage(), e);
        }
    }

    /** A positive random serial of up to 159 bits (RFC 5280 allows 20 octets), never zero. */
    private BigInteger serial() {
        return new BigInteger(159, random).setBit(0);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            var holder = builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    /** A certificate with its private key. */
    record IssuedCertificate(X509Certificate certificate, PrivateKey key) {}
}
