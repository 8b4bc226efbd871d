package org.jlxcfs.daemon;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;

/**
 * An HTTPS client as the API server is one to a webhook: it trusts only the {@code caBundle}
 * and verifies the Service's DNS name ({@code jlxcfs-webhook.jlxcfs-system.svc}) while it dials
 * an address (the API server dials the Service's cluster IP; a test dials 127.0.0.1). The JDK's
 * own endpoint identification does the check: every TLS engine the client gets names the
 * Service as its peer, whatever host the URI has, so no hostname verifier is replaced.
 */
final class ServiceHttpsClient {
    private ServiceHttpsClient() {}

    static HttpClient trusting(Path caPem, String serviceDnsName) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            int i = 0;
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, ca);
            }
            if (i == 0) throw new GeneralSecurityException("no certificate in " + caPem);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(new PeerNamed(tls, serviceDnsName)).connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /** A TLS context whose client engines all name {@code peer}: what the certificate must be valid for. */
    private static final class PeerNamed extends SSLContext {
        PeerNamed(SSLContext tls, String peer) {
            super(new Spi(tls, peer), tls.getProvider(), tls.getProtocol());
        }
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext tls;
        private final String peer;

        Spi(SSLContext tls, String peer) {
            this.tls = tls;
            this.peer = peer;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("initialised once, by ServiceHttpsClient");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return tls.createSSLEngine(peer, port);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return tls.createSSLEngine(peer, 443);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("the HTTP client uses engines only");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("a client only");
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return tls.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return tls.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return tls.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return tls.getSupportedSSLParameters();
        }
    }
}
