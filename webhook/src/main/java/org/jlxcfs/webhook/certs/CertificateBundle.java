package org.jlxcfs.webhook.certs;

import org.jlxcfs.webhook.tls.ServingIdentity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A complete, usable set: the CAs to trust (newest first; an older one stays during a CA roll so that
 * certificates it signed keep working), the newest CA's key, and the serving certificate with its key.
 */
record CertificateBundle(List<X509Certificate> cas, PrivateKey caKey, X509Certificate leaf, PrivateKey leafKey) {
    static final String CA_CRT = "ca.crt";
    static final String CA_KEY = "ca.key";
    static final String TLS_CRT = "tls.crt";
    static final String TLS_KEY = "tls.key";

    CertificateBundle {
        cas = List.copyOf(cas);
        if (cas.isEmpty()) throw new IllegalArgumentException("a certificate bundle needs a CA");
    }

    CertificateIssuer.IssuedCertificate signingCa() {
        return new CertificateIssuer.IssuedCertificate(cas.getFirst(), caKey);
    }

    /** The CA certificates as PEM: what the webhook configuration's caBundle holds. */
    String caBundlePem() {
        return Pem.certificates(cas);
    }

    /** The key and chain to serve: the serving certificate, then the CA that signed it. */
    ServingIdentity identity() {
        return new ServingIdentity(leafKey, new X509Certificate[] {leaf, issuerOfLeaf()});
    }

    Instant notAfter() {
        return leaf.getNotAfter().toInstant();
    }

    /** The Secret's data as PEM text, under the keys the manifests and cert-manager's layout use. */
    Map<String, String> toSecretData() {
        var data = new LinkedHashMap<String, String>();
        data.put(CA_CRT, caBundlePem());
        data.put(CA_KEY, Pem.privateKey(caKey));
        data.put(TLS_CRT, Pem.certificates(List.of(leaf, issuerOfLeaf())));
        data.put(TLS_KEY, Pem.privateKey(leafKey));
        return data;
    }

    /** Same certificates and keys, whoever made them. */
    boolean sameAs(CertificateBundle other) {
        return other != null && toSecretData().equals(other.toSecretData());
    }

    private X509Certificate issuerOfLeaf() {
        for (var ca : cas) {
            if (Certificates.signedBy(leaf, ca)) return ca;
        }
        throw new IllegalStateException("the serving certificate is signed by none of the bundle's CAs");
    }
}
