package org.jlxcfs.webhook.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/** Test CAs and serving certificates (BouncyCastle), PEM text of them, and clients that trust only given CAs. */
public final class TestPki {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestPki() {}

    public record Ca(KeyPair keys, X509Certificate cert) {
        /** A serving certificate for localhost and 127.0.0.1, signed by this CA, with a new key of {@code algorithm}. */
        public Issued issue(String commonName, String algorithm) {
            KeyPair pair = keyPair(algorithm);
            return new Issued(pair.getPrivate(), sign(this, pair, commonName, false), cert);
        }

        public Issued issue(String commonName) {
            return issue(commonName, "EC");
        }
    }

    public record Issued(PrivateKey key, X509Certificate cert, X509Certificate ca) {
        public ServingIdentity identity() {
            return new ServingIdentity(key, new X509Certificate[] {cert});
        }

        public String certPem() {
            return pem(cert);
        }

        /** PKCS#8 ("BEGIN PRIVATE KEY"), as cert-manager writes by default for EC and openssl genpkey. */
        public String keyPkcs8Pem() {
            try {
                return pem(new JcaPKCS8Generator(key, null).generate());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * The traditional form: "BEGIN RSA PRIVATE KEY" (PKCS#1) or "BEGIN EC PRIVATE KEY" (SEC1 with
         * the curve and public key, as openssl writes it; the JDK's own encoding leaves both out).
         */
        public String keyTraditionalPem() {
            if (!key.getAlgorithm().equals("EC")) return pem(key);
            try {
                var info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
                var publicKey = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded());
                var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, ((java.security.interfaces.ECPrivateKey) key).getS(),
                        publicKey.getPublicKeyData(), info.getPrivateKeyAlgorithm().getParameters());
                return pem(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static Ca newCa(String commonName) {
        KeyPair pair = keyPair("EC");
        Ca self = new Ca(pair, null);
        return new Ca(pair, sign(self, pair, commonName, true));
    }

    public static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) g.initialize(new ECGenParameterSpec("secp256r1"));
            else if (algorithm.equals("RSA")) g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(Ca issuer, KeyPair subject, String commonName, boolean ca) {
        try {
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=" + commonName);
            X500Name issuerName = issuer.cert() == null ? name
                    : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
            var builder = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIALS.incrementAndGet()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(30))), name,
                    subject.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            }
            String alg = issuer.keys().getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(alg).build(issuer.keys().getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    /** A client context that trusts these CAs and nothing else. */
    public static SSLContext clientTrusting(X509Certificate... cas) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.length; i++) store.setCertificateEntry("ca" + i, cas[i]);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, tmf.getTrustManagers(), null);
            return c;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
