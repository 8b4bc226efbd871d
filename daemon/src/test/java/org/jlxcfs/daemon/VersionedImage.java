package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * Another build of the project image, for upgrade and downgrade tests without a second checkout:
 * {@code FROM} the image, with another {@code org.opencontainers.image.version} label and
 * another Implementation-Version in the manifests of jlxcfs's own jars (rewritten by python3
 * zipfile in a RUN step), so {@code jlxcfs --version} and the daemon's first log line name it.
 * Removed on close.
 */
final class VersionedImage implements AutoCloseable {
    private static final Duration T = Duration.ofMinutes(5);

    /** Rewrites the manifests of /opt/jlxcfs/lib/jlxcfs-*.jar (argv[1]: the new version); the other jars are signed, left alone. */
    private static final String REWRITE = """
            import glob, os, re, sys, zipfile
            version = sys.argv[1]
            for jar in glob.glob('/opt/jlxcfs/lib/jlxcfs-*.jar'):
                with zipfile.ZipFile(jar) as src, zipfile.ZipFile(jar + '.new', 'w', zipfile.ZIP_DEFLATED) as dst:
                    for info in src.infolist():
                        data = src.read(info)
                        if info.filename == 'META-INF/MANIFEST.MF':
                            data = re.sub(rb'(?m)^Implementation-Version: .*$', b'Implementation-Version: ' + version.encode(), data)
                        dst.writestr(info, data)
                os.chmod(jar + '.new', 0o644)
                os.replace(jar + '.new', jar)
            """;

    final String name;
    final String version;
    private final Map<String, String> env;

    private VersionedImage(String name, String version, Map<String, String> env) {
        this.name = name;
        this.version = version;
        this.env = env;
    }

    /** {@code base} as version {@code version}, built in {@code dir} with podman's {@code env}. */
    static VersionedImage derive(String base, String version, Path dir, Map<String, String> env) throws IOException {
        Path context = Files.createDirectories(dir.resolve("versioned-image"));
        Files.writeString(context.resolve("rewrite.py"), REWRITE);
        Files.writeString(context.resolve("Containerfile"), """
                FROM %s
                COPY rewrite.py /tmp/rewrite.py
                RUN ["/usr/bin/python3", "/tmp/rewrite.py", "%s"]
                RUN ["/bin/rm", "/tmp/rewrite.py"]
                LABEL org.opencontainers.image.version="%s"
                """.formatted(base, version, version));
        String name = base.replaceAll(":[^:/]*$", "") + ":v" + UUID.randomUUID().toString().substring(0, 8);
        VersionedImage image = new VersionedImage(name, version, env);
        Run.Result r = Run.cmd(T, env, "podman", "build", "-q", "--pull=never", "--network", "none", "-t", name, context.toString());
        if (r.exit() != 0) {
            image.close();
            throw new AssertionError("podman build of " + name + " FROM " + base + " failed:\n" + r.out() + r.err());
        }
        return image;
    }

    @Override
    public void close() {
        Run.cmd(T, env, "podman", "rmi", "-f", "--ignore", name);
    }
}
