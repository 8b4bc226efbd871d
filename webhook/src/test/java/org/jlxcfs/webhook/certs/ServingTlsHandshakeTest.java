package org.jlxcfs.webhook.certs;

import org.jlxcfs.webhook.tls.ServingIdentity;
import org.jlxcfs.webhook.tls.TlsContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real TLS handshake with the self-managed identity: the server's key manager asks {@link SelfManagedCertificates#get()}
 * per handshake, the client trusts only the CA and verifies the host name the API server uses.
 */
class ServingTlsHandshakeTest {
    private static final String HOST = "jlxcfs-webhook.jlxcfs-system.svc";

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private SSLServerSocket server;
    private SelfManagedCertificates certificates;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) server.close();
        executor.shutdownNow();
        if (certificates != null) certificates.close();
    }

    private SelfManagedCertificates start(MutableClock clock) {
        certificates = SelfManagedCertificates.start(new SelfManagedCertificates.Settings("jlxcfs-system", "jlxcfs-webhook",
                "jlxcfs-webhook-tls", "jlxcfs", Optional.empty(), Optional.empty(), clock).withCheckInterval(Duration.ofHours(1)));
        return certificates;
    }

    private void serve(Supplier<ServingIdentity> identity, String protocol) throws Exception {
        // the server's own context: its key manager takes the supplier's identity at each handshake
        var context = TlsContexts.server(identity);
        server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setEnabledProtocols(new String[] {protocol});
        executor.submit(() -> {
            while (!server.isClosed()) {
                try (var socket = (SSLSocket) server.accept()) {
                    socket.setSoTimeout(5000);
                    socket.startHandshake();
                    socket.getOutputStream().write('k');
                    socket.getOutputStream().flush();
                } catch (Exception e) {
                    // a refused client, or the socket closed at the end of the test
                }
            }
            return null;
        });
    }

    /** Connects as the API server would: trusting only {@code ca}, checking {@code host}; returns the server's certificate. */
    private X509Certificate connect(X509Certificate ca, String host) throws Exception {
        var store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", ca);
        var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        var context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        try (var raw = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             var socket = (SSLSocket) context.getSocketFactory().createSocket(raw, host, server.getLocalPort(), true)) {
            socket.setSoTimeout(5000);
            var parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertThat(socket.getInputStream().read()).isEqualTo('k');
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static X509Certificate ca(SelfManagedCertificates certificates) throws Exception {
        return Pem.parseCertificates(certificates.caBundlePem()).getFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aClientTrustingOnlyTheCaConnectsToTheServiceName(String protocol) throws Exception {
        var certificates = start(MutableClock.ofNow());
        serve(certificates, protocol);
        assertThat(connect(ca(certificates), HOST)).isEqualTo(certificates.get().chain()[0]);
        assertThat(connect(ca(certificates), HOST + ".cluster.local")).isEqualTo(certificates.get().chain()[0]);
    }

    @Test
    void aWrongHostNameIsRefused() throws Exception {
        var certificates = start(MutableClock.ofNow());
        serve(certificates, "TLSv1.3");
        assertThatThrownBy(() -> connect(ca(certificates), "other.jlxcfs-system.svc")).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aClientTrustingAnotherCaIsRefused() throws Exception {
        var certificates = start(MutableClock.ofNow());
        serve(certificates, "TLSv1.3");
        var other = new CertificateIssuer().issueCa(new ServiceNames("jlxcfs-webhook", "jlxcfs-system"), Instant.now()).certificate();
        assertThatThrownBy(() -> connect(other, HOST)).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void afterARenewalTheNextHandshakeServesTheNewCertificate() throws Exception {
        // issued 250 days ago: past two thirds of its year, yet still valid for the JDK, which checks against real time
        var clock = new MutableClock(Instant.now().minus(Duration.ofDays(250)));
        var certificates = start(clock);
        serve(certificates, "TLSv1.3");
        var before = connect(ca(certificates), HOST);

        clock.advance(Duration.ofDays(250));
        assertThat(certificates.checkNow()).isTrue();

        var after = connect(ca(certificates), HOST);
        assertThat(after).isNotEqualTo(before).isEqualTo(certificates.get().chain()[0]);
        assertThat(after.getNotAfter()).isAfter(before.getNotAfter());
    }
}
