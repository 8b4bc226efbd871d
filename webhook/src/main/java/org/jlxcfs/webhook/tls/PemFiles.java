package org.jlxcfs.webhook.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/**
 * Reads PEM as cert-manager, openssl and Kubernetes Secrets write it: a certificate chain
 * (serving certificate first), and an unencrypted private key in PKCS#8 ({@code BEGIN PRIVATE
 * KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}). Errors
 * name the file.
 */
public final class PemFiles {
    private PemFiles() {}

    /** The certificates in {@code pem}, in file order; at least one. */
    public static X509Certificate[] chain(byte[] pem, Path file) throws IOException {
        try {
            var certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certs.isEmpty()) throw new IOException(file + ": no PEM certificate (BEGIN CERTIFICATE) in it");
            return certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        } catch (CertificateException e) {
            throw new IOException(file + ": not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    /** The first private key in {@code pem} (EC PARAMETERS blocks before it are skipped). */
    public static PrivateKey privateKey(byte[] pem, Path file) throws IOException {
        try (Reader r = new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(r)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                switch (o) {
                    case PrivateKeyInfo info -> { return converter.getPrivateKey(info); }
                    case PEMKeyPair pair -> { return converter.getPrivateKey(pair.getPrivateKeyInfo()); } // the public half may be absent
                    case PEMEncryptedKeyPair ignored -> throw new IOException(file + ": the private key is encrypted; "
                            + "give an unencrypted one (as cert-manager writes)");
                    case PKCS8EncryptedPrivateKeyInfo ignored -> throw new IOException(file + ": the private key is "
                            + "encrypted; give an unencrypted one (as cert-manager writes)");
                    default -> { } // EC PARAMETERS and the like
                }
            }
            throw new IOException(file + ": no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) in it");
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
                    : new IOException(file + ": not a PEM private key: " + e.getMessage(), e);
        } catch (RuntimeException e) { // BouncyCastle reports some malformed input unchecked
            throw new IOException(file + ": not a PEM private key: " + e, e);
        }
    }

    /**
     * Whether {@code key} belongs to {@code cert}: a signature made with the key verifies with
     * the certificate's public key (RSA, RSASSA-PSS, EC and EdDSA alike).
     */
    public static boolean matches(PrivateKey key, X509Certificate cert) {
        try {
            byte[] probe = "jlxcfs key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = signature(key.getAlgorithm());
            signer.initSign(key);
            signer.update(probe);
            byte[] signed = signer.sign();
            Signature verifier = signature(key.getAlgorithm());
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signed);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // a key of another algorithm than the certificate's, among others
        }
    }

    private static Signature signature(String keyAlgorithm) throws GeneralSecurityException {
        return switch (keyAlgorithm) {
            case "RSA" -> Signature.getInstance("SHA256withRSA");
            case "EC" -> Signature.getInstance("SHA256withECDSA");
            case "RSASSA-PSS" -> {
                Signature s = Signature.getInstance("RSASSA-PSS");
                s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield s;
            }
            default -> Signature.getInstance(keyAlgorithm); // Ed25519, Ed448, EdDSA
        };
    }
}
