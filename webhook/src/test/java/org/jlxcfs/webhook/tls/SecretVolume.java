package org.jlxcfs.webhook.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A directory laid out as the kubelet lays out a Secret volume: {@code tls.crt -> ..data/tls.crt},
 * {@code ..data -> ..<timestamp>}; an update writes a new timestamped directory and swaps the
 * {@code ..data} symlink by an atomic rename, then deletes the old directory.
 */
public final class SecretVolume {
    private static final AtomicInteger VERSIONS = new AtomicInteger();
    private final Path dir;

    public SecretVolume(Path dir) {
        this.dir = dir;
    }

    public Path cert() {
        return dir.resolve("tls.crt");
    }

    public Path key() {
        return dir.resolve("tls.key");
    }

    /** Writes {@code certPem} and {@code keyPem} as the kubelet would (first call: creates the layout). */
    public void write(String certPem, String keyPem) throws IOException {
        Path data = dir.resolve("..data");
        Path old = Files.isSymbolicLink(data) ? dir.resolve(Files.readSymbolicLink(data)) : null;
        String version = "..2026_11_30_" + VERSIONS.incrementAndGet();
        Path fresh = Files.createDirectories(dir.resolve(version));
        Files.writeString(fresh.resolve("tls.crt"), certPem, StandardCharsets.US_ASCII);
        Files.writeString(fresh.resolve("tls.key"), keyPem, StandardCharsets.US_ASCII);
        Path tmp = dir.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(version));
        Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (!Files.isSymbolicLink(cert())) Files.createSymbolicLink(cert(), Path.of("..data/tls.crt"));
        if (!Files.isSymbolicLink(key())) Files.createSymbolicLink(key(), Path.of("..data/tls.key"));
        if (old != null) {
            Files.delete(old.resolve("tls.crt"));
            Files.delete(old.resolve("tls.key"));
            Files.delete(old);
        }
    }

    public void write(TestPki.Issued issued) throws IOException {
        write(issued.certPem(), issued.keyPkcs8Pem());
    }

    /** Replaces {@code file} by renaming a new file over it (what most tools other than the kubelet do). */
    public static void renameOver(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
