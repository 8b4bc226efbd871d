package org.jlxcfs.webhook.certs;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

/** How a pod trusts its cluster's API server: the service account's CA. Shared by the webhook and the daemon's node label. */
public final class ClusterTrust {
    private ClusterTrust() {}

    /** Trust exactly the cluster's CA when the service account has one, else the JDK's default trust. */
    public static SSLContext sslContext(Path caFile) {
        try {
            if (!Files.isRegularFile(caFile)) return SSLContext.getDefault();
            var store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            // the JDK's parser, not BouncyCastle: the daemon uses this too and loads no more than it needs
            try (InputStream in = Files.newInputStream(caFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
            }
            var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot use the Kubernetes API's CA " + caFile + ": " + e.getMessage(), e);
        }
    }
}
