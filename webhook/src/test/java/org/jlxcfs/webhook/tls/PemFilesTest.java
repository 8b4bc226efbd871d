package org.jlxcfs.webhook.tls;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PemFilesTest {
    private static final Path CERT = Path.of("/etc/jlxcfs/tls/tls.crt");
    private static final Path KEY = Path.of("/etc/jlxcfs/tls/tls.key");
    private static final TestPki.Ca CA = TestPki.newCa("pem test CA");

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void readsEveryKeyFormatThatMatchesItsCertificate() throws IOException {
        TestPki.Issued ec = CA.issue("ec", "EC");
        TestPki.Issued rsa = CA.issue("rsa", "RSA");
        for (TestPki.Issued issued : new TestPki.Issued[] {ec, rsa}) {
            for (String pem : new String[] {issued.keyPkcs8Pem(), issued.keyTraditionalPem()}) {
                var key = PemFiles.privateKey(bytes(pem), KEY);
                assertThat(PemFiles.matches(key, issued.cert())).as(pem.lines().findFirst().orElseThrow()).isTrue();
            }
        }
        assertThat(rsa.keyTraditionalPem()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(ec.keyTraditionalPem()).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(ec.keyPkcs8Pem()).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PemFiles.matches(rsa.key(), ec.cert())).isFalse();
        assertThat(PemFiles.matches(CA.issue("other").key(), ec.cert())).isFalse();
    }

    @Test
    void skipsEcParametersBeforeTheKey() throws IOException {
        TestPki.Issued ec = CA.issue("ec");
        // what `openssl ecparam -genkey` writes
        String params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
        var key = PemFiles.privateKey(bytes(params + ec.keyTraditionalPem()), KEY);
        assertThat(PemFiles.matches(key, ec.cert())).isTrue();
    }

    @Test
    void readsAChainInFileOrder() throws IOException {
        TestPki.Issued leaf = CA.issue("leaf");
        var chain = PemFiles.chain(bytes(leaf.certPem() + TestPki.pem(CA.cert())), CERT);
        assertThat(chain).containsExactly(leaf.cert(), CA.cert());
    }

    @Test
    void errorsNameTheFile() {
        assertThatThrownBy(() -> PemFiles.chain(bytes("not a certificate\n"), CERT)).hasMessageStartingWith(CERT.toString());
        assertThatThrownBy(() -> PemFiles.chain(new byte[0], CERT)).hasMessageStartingWith(CERT.toString());
        assertThatThrownBy(() -> PemFiles.privateKey(bytes("garbage\n"), KEY)).hasMessageStartingWith(KEY.toString());
        assertThatThrownBy(() -> PemFiles.privateKey(bytes(CA.issue("x").certPem()), KEY))
                .hasMessageStartingWith(KEY.toString()).hasMessageContaining("no PEM private key");
        assertThatThrownBy(() -> PemFiles.privateKey(bytes("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), KEY))
                .isInstanceOf(IOException.class).hasMessageStartingWith(KEY.toString());
    }
}
