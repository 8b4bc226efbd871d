package org.jlxcfs.webhook.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateFilesTest {
    private static final TestPki.Ca CA = TestPki.newCa("files test CA");
    private static final TestPki.Ca OTHER_CA = TestPki.newCa("files test CA 2");

    @TempDir
    Path dir;

    @Test
    void takesAPairSwappedInLikeASecretVolume() throws IOException {
        SecretVolume volume = new SecretVolume(dir);
        TestPki.Issued first = CA.issue("first");
        volume.write(first);
        CertificateFiles files = CertificateFiles.load(volume.cert(), volume.key(), Duration.ofHours(1));
        assertThat(files.get().chain()[0]).isEqualTo(first.cert());

        TestPki.Issued renewed = OTHER_CA.issue("renewed", "RSA");
        volume.write(renewed.certPem(), renewed.keyTraditionalPem());
        assertThat(files.get().chain()[0]).as("not before the check interval").isEqualTo(first.cert());
        assertThat(files.refresh()).isTrue();
        assertThat(files.get().chain()[0]).isEqualTo(renewed.cert());
        assertThat(PemFiles.matches(files.get().key(), renewed.cert())).isTrue();
        assertThat(files.refresh()).as("same content: nothing new").isFalse();
    }

    @Test
    void takesAPairRenamedOverTheOldFiles() throws IOException {
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        TestPki.Issued first = CA.issue("first");
        Files.writeString(cert, first.certPem());
        Files.writeString(key, first.keyPkcs8Pem());
        CertificateFiles files = CertificateFiles.load(cert, key, Duration.ofMillis(1));
        TestPki.Issued second = CA.issue("second");
        SecretVolume.renameOver(cert, second.certPem() + TestPki.pem(CA.cert()));
        SecretVolume.renameOver(key, second.keyTraditionalPem());
        sleep(5);
        assertThat(files.get().chain()).as("checked on get() once the interval passed").containsExactly(second.cert(), CA.cert());
    }

    @Test
    void keepsTheIdentityInUseWhenTheNewPairIsInconsistentOrUnreadable() throws IOException {
        SecretVolume volume = new SecretVolume(dir);
        TestPki.Issued first = CA.issue("first");
        volume.write(first);
        CertificateFiles files = CertificateFiles.load(volume.cert(), volume.key(), Duration.ofHours(1));
        ServingIdentity inUse = files.get();

        TestPki.Issued a = CA.issue("a");
        TestPki.Issued b = CA.issue("b");
        volume.write(a.certPem(), b.keyPkcs8Pem()); // a writer caught between the two files
        assertThat(files.refresh()).isFalse();
        assertThat(files.get()).isSameAs(inUse);

        volume.write("garbage", first.keyPkcs8Pem());
        assertThat(files.refresh()).isFalse();
        Files.delete(volume.key());
        assertThat(files.refresh()).isFalse();
        assertThat(files.get()).isSameAs(inUse);

        Files.createSymbolicLink(volume.key(), Path.of("..data/tls.key"));
        volume.write(a);
        assertThat(files.refresh()).as("a consistent pair again").isTrue();
        assertThat(files.get().chain()[0]).isEqualTo(a.cert());
    }

    @Test
    void refusesToStartWithoutAUsablePair() throws IOException {
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        assertThatThrownBy(() -> CertificateFiles.load(cert, key, Duration.ofSeconds(1)))
                .hasMessageContaining(cert.toString()).hasMessageContaining("no such file");
        Files.writeString(cert, CA.issue("x").certPem());
        Files.writeString(key, CA.issue("y").keyPkcs8Pem());
        assertThatThrownBy(() -> CertificateFiles.load(cert, key, Duration.ofSeconds(1)))
                .hasMessageContaining(key.toString()).hasMessageContaining("does not belong");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
