package org.jlxcfs.webhook.server;

import org.jlxcfs.webhook.tls.CertificateFiles;
import org.jlxcfs.webhook.tls.SecretVolume;
import org.jlxcfs.webhook.tls.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real TLS over loopback: protocol versions, trust, and certificate files replaced while serving. */
class TlsEndToEndTest {
    private static final TestPki.Ca OTHER_CA = TestPki.newCa("another CA");

    @TempDir
    Path dir;

    @Test
    void tls12And13EachServeAReviewToAClientTrustingOnlyTheCa() throws Exception {
        try (TestServer s = TestServer.withNewCertificate()) {
            for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
                try (HttpClient client = TestServer.client(TestServer.CA, protocol)) {
                    var response = s.review(client, "uid-" + protocol);
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(response.body()).contains("\"uid\":\"uid-" + protocol + "\"", "\"allowed\":true");
                    assertThat(response.sslSession().orElseThrow().getProtocol()).isEqualTo(protocol);
                }
            }
        }
    }

    @Test
    void aClientTrustingAnotherCaRefusesTheServer() throws Exception {
        try (TestServer s = TestServer.withNewCertificate(); HttpClient client = TestServer.client(OTHER_CA)) {
            assertThatThrownBy(() -> s.review(client, "x")).isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void tls11IsRefusedWithAProtocolVersionAlert() throws Exception {
        try (TestServer s = TestServer.withNewCertificate();
             Socket socket = new Socket("127.0.0.1", s.server.httpsAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(clientHello(0x0302));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] record = new byte[7];
            in.readFully(record);
            assertThat(record[0]).as("an alert record").isEqualTo((byte) 21);
            assertThat(record[5]).as("fatal").isEqualTo((byte) 2);
            assertThat(record[6]).as("protocol_version").isEqualTo((byte) 70);
        }
    }

    /** A minimal ClientHello offering only {@code version} (no supported_versions extension), as a TLS 1.1 client sends. */
    private static byte[] clientHello(int version) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(version >> 8);
        body.write(version);
        body.writeBytes(new byte[32]); // random
        body.write(0); // no session id
        int[] suites = {0xc013, 0xc009, 0x002f, 0x0035}; // ECDHE_RSA/ECDSA and RSA with AES-CBC: TLS 1.1's
        body.write(0);
        body.write(suites.length * 2);
        for (int suite : suites) {
            body.write(suite >> 8);
            body.write(suite);
        }
        body.write(1); // compression methods: null only
        body.write(0);
        byte[] hello = body.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        int handshakeLength = hello.length + 4;
        record.writeBytes(new byte[] {22, 3, 1, (byte) (handshakeLength >> 8), (byte) handshakeLength, 1, 0,
                (byte) (hello.length >> 8), (byte) hello.length});
        record.writeBytes(hello);
        return record.toByteArray();
    }

    @Test
    void replacedCertificateFilesServeTheNextConnectionWithoutARestart() throws Exception {
        SecretVolume volume = new SecretVolume(dir);
        TestPki.Issued first = TestServer.CA.issue("first");
        volume.write(first);
        CertificateFiles files = CertificateFiles.load(volume.cert(), volume.key(), Duration.ofMillis(100));
        try (TestServer s = new TestServer(null, new FakeReviewer(), files);
             HttpClient kept = TestServer.client(TestServer.CA)) {
            assertThat(peer(s)).isEqualTo(first.cert());
            assertThat(s.review(kept, "before").statusCode()).isEqualTo(200);

            // a renewal by a new CA, swapped in as the kubelet updates a Secret volume
            TestPki.Issued renewed = OTHER_CA.issue("renewed", "RSA");
            volume.write(renewed.certPem(), renewed.keyTraditionalPem());
            awaitPeer(s, renewed.cert());
            try (HttpClient onlyNewCa = TestServer.client(OTHER_CA)) {
                assertThat(s.review(onlyNewCa, "after").statusCode()).isEqualTo(200);
            }
            assertThat(s.review(kept, "kept-alive").statusCode()).as("an open connection keeps working").isEqualTo(200);

            // a pair renamed over the files, one file after the other
            TestPki.Issued third = TestServer.CA.issue("third");
            SecretVolume.renameOver(volume.cert(), third.certPem());
            SecretVolume.renameOver(volume.key(), third.keyPkcs8Pem());
            awaitPeer(s, third.cert());

            // an inconsistent pair: the certificate in use stays
            SecretVolume.renameOver(volume.cert(), TestServer.CA.issue("fourth").certPem());
            Thread.sleep(400);
            assertThat(peer(s)).isEqualTo(third.cert());
            assertThat(s.ops("GET", "/metrics").body()).contains("jlxcfs_webhook_certificate_reloads_total 2.0");
        }
    }

    private static X509Certificate peer(TestServer s) throws IOException {
        try (SSLSocket socket = s.handshake(TestServer.CA, OTHER_CA)) {
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static void awaitPeer(TestServer s, X509Certificate expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        X509Certificate seen = peer(s);
        while (!seen.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = peer(s);
        }
        assertThat(seen.getSubjectX500Principal()).isEqualTo(expected.getSubjectX500Principal());
        assertThat(seen).isEqualTo(expected);
    }
}
