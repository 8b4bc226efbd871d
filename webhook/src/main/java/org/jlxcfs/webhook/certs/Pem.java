package org.jlxcfs.webhook.certs;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** PEM text for certificates and PKCS#8 private keys, the form a Secret and a caBundle carry. */
final class Pem {
    private Pem() {}

    static String certificates(List<X509Certificate> certificates) {
        var out = new StringWriter();
        try (var writer = new JcaPEMWriter(out)) {
            for (var certificate : certificates) writer.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    static String privateKey(PrivateKey key) {
        var out = new StringWriter();
        try (var writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Every certificate in the text, in order; anything else in it is an error. */
    static List<X509Certificate> parseCertificates(String pem) throws IOException {
        var result = new ArrayList<X509Certificate>();
        try (var parser = new PEMParser(new StringReader(pem))) {
            var converter = new JcaX509CertificateConverter();
            for (Object object; (object = parser.readObject()) != null; ) {
                if (!(object instanceof X509CertificateHolder holder)) {
                    throw new IOException("expected only certificates, found " + object.getClass().getSimpleName());
                }
                result.add(converter.getCertificate(holder));
            }
        } catch (CertificateException | RuntimeException e) {
            throw new IOException("unreadable certificate: " + e.getMessage(), e);
        }
        if (result.isEmpty()) throw new IOException("no certificate");
        return result;
    }

    /** The one private key in the text: PKCS#8, or the traditional EC/RSA forms some tools still write. */
    static PrivateKey parsePrivateKey(String pem) throws IOException {
        try (var parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            var converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) return converter.getPrivateKey(info);
            if (object instanceof PEMKeyPair pair) return converter.getPrivateKey(pair.getPrivateKeyInfo());
            throw new IOException(object == null ? "no private key" : "expected a private key, found " + object.getClass().getSimpleName());
        } catch (RuntimeException e) {
            throw new IOException("unreadable private key: " + e.getMessage(), e);
        }
    }
}
