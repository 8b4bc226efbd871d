package org.jlxcfs.webhook.tls;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The serving identity in a PEM certificate file and a PEM key file (cert-manager's {@code tls.crt}
 * and {@code tls.key}), re-read when their content changes. Kubernetes updates a Secret volume by
 * swapping a symlink ({@code ..data}) atomically, other tools rename a new file over the old, and
 * either can keep the mtime: so the bytes are compared, at most once per check interval, on the
 * caller's thread (a TLS handshake, a probe, a scrape). A new pair that cannot be read or whose
 * key does not belong to its certificate (a writer caught between the two files) is refused, the
 * identity in use kept, and the refusal logged once per distinct content.
 */
public final class CertificateFiles implements Supplier<ServingIdentity> {
    private static final System.Logger LOG = System.getLogger("jlxcfs.webhook.tls");
    /** PEM files of a certificate chain and key are a few KiB; anything far larger is not one. */
    static final int MAX_FILE_BYTES = 1 << 20;
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final Path certFile;
    private final Path keyFile;
    private final long intervalNanos;
    private final ReentrantLock checking = new ReentrantLock();
    private volatile ServingIdentity current;
    private volatile long nextCheck;
    // guarded by checking
    private byte[] certBytes = new byte[0];
    private byte[] keyBytes = new byte[0];
    private String lastRefusal;

    private CertificateFiles(Path certFile, Path keyFile, Duration interval) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.intervalNanos = interval.toNanos();
    }

    /** Reads both files now: the webhook does not start with a pair it cannot serve. */
    public static CertificateFiles load(Path certFile, Path keyFile, Duration checkInterval) throws IOException {
        CertificateFiles files = new CertificateFiles(certFile, keyFile, checkInterval);
        byte[] cert = read(certFile);
        byte[] key = read(keyFile);
        files.install(parse(cert, certFile, key, keyFile), cert, key);
        files.nextCheck = System.nanoTime() + files.intervalNanos;
        return files;
    }

    @Override
    public ServingIdentity get() {
        long now = System.nanoTime();
        if (now - nextCheck >= 0 && checking.tryLock()) {
            try {
                nextCheck = now + intervalNanos;
                refresh();
            } finally {
                checking.unlock();
            }
        }
        return current;
    }

    /** Re-reads both files (now, whatever the interval); true when a new identity was taken. */
    public boolean refresh() {
        checking.lock();
        try {
            byte[] cert;
            byte[] key;
            try {
                cert = read(certFile);
                key = read(keyFile);
            } catch (IOException e) {
                refuse(e.getMessage());
                return false;
            }
            if (Arrays.equals(cert, certBytes) && Arrays.equals(key, keyBytes)) return false;
            try {
                install(parse(cert, certFile, key, keyFile), cert, key);
                return true;
            } catch (IOException e) {
                refuse(e.getMessage() + " [content " + Arrays.hashCode(cert) + "/" + Arrays.hashCode(key) + "]");
                return false;
            }
        } finally {
            checking.unlock();
        }
    }

    private void install(ServingIdentity identity, byte[] cert, byte[] key) {
        boolean first = current == null;
        current = identity;
        certBytes = cert;
        keyBytes = key;
        lastRefusal = null;
        X509Certificate leaf = identity.chain()[0];
        LOG.log(Level.INFO, (first ? "serving certificate from " : "reloaded the serving certificate from ") + certFile
                + ": " + leaf.getSubjectX500Principal().getName() + ", valid until " + leaf.getNotAfter().toInstant());
    }

    private void refuse(String why) {
        if (why.equals(lastRefusal)) return;
        lastRefusal = why;
        LOG.log(Level.WARNING, "keeping the serving certificate in use: " + why.replaceFirst(" \\[content [^]]*]$", ""));
    }

    static ServingIdentity parse(byte[] cert, Path certFile, byte[] key, Path keyFile) throws IOException {
        X509Certificate[] chain = PemFiles.chain(cert, certFile);
        PrivateKey privateKey = PemFiles.privateKey(key, keyFile);
        if (!PemFiles.matches(privateKey, chain[0])) {
            throw new IOException(keyFile + ": this private key does not belong to the first certificate in " + certFile
                    + " (" + chain[0].getSubjectX500Principal().getName() + ")");
        }
        return new ServingIdentity(privateKey, chain);
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) throw new IOException(file + ": larger than " + MAX_FILE_BYTES + " bytes, not a PEM file");
            return bytes;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
                    : new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
