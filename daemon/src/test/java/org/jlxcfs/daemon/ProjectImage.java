package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.jar.JarFile;

/**
 * The jlxcfs image, as {@code bin/build-image} makes it from this working tree's packaged jars
 * (so only in integration tests, after {@code package}). Built once per test JVM, under a tag of
 * its own ({@code localhost/jlxcfs-test:RUN}, never the user's {@code localhost/jlxcfs:dev}), and
 * shared by every test that asks; removed, with the podman configuration, when the JVM exits.
 * The root filesystem and the Java runtime come from bin/build-image's cache after the first
 * build on a machine, so a build then takes seconds. A run whose JVM was killed leaves its image
 * behind: the next run removes such images once they are six hours old (no run takes that long).
 */
final class ProjectImage {
    private static final Duration BUILD_TIME_LIMIT = Duration.ofMinutes(20);
    private static final Path TOP = Path.of("..").toAbsolutePath().normalize();
    private static String name;
    private static Map<String, String> env;
    private static AssertionError failure;

    private ProjectImage() {}

    /**
     * The image's name, building it on the first call. Skips the calling test (fails it under
     * CI=true) when podman or mmdebstrap is missing; a failed build fails every caller with the
     * build's output, without building again.
     */
    static synchronized String name() throws IOException {
        Run.requireProgram("podman", "apt-get install podman runc");
        Run.requireProgram("mmdebstrap", "apt-get install mmdebstrap");
        if (failure != null) throw failure;
        if (name != null) return name;
        Path dir = Run.sharedTempDir("jlxcfs-image-test");
        Map<String, String> podman = PodmanHarness.create(dir).env;
        String image = "localhost/jlxcfs-test:" + UUID.randomUUID().toString().substring(0, 8);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Run.cmd(Duration.ofSeconds(60), podman, "podman", "rmi", "-f", "--ignore", image);
            Run.deleteTree(dir);
        }, "remove " + image));
        removeStaleImages(podman);
        Map<String, String> buildEnv = new HashMap<>(podman);
        buildEnv.put("JAVA_HOME", System.getProperty("java.home")); // the JDK running the tests has jlink
        long start = System.nanoTime();
        Run.Result r = Run.cmd(BUILD_TIME_LIMIT, buildEnv, TOP.resolve("bin/build-image").toString(), "--no-build", "--tag", image);
        if (r.exit() != 0) {
            failure = new AssertionError("bin/build-image failed (exit " + r.exit() + "):\n" + r.out() + r.err());
            throw failure;
        }
        System.out.printf("built %s in %.1f s:%n%s", image, (System.nanoTime() - start) / 1e9, r.out());
        env = podman;
        name = image;
        return image;
    }

    /** Removes the tags {@code localhost/jlxcfs-test:*} of images made more than six hours ago. */
    private static void removeStaleImages(Map<String, String> podman) {
        String tags = Run.cmd(Duration.ofSeconds(60), podman, "podman", "images", "--filter", "until=6h",
                "--format", "{{.Repository}}:{{.Tag}}").out();
        for (String tag : tags.split("\n")) {
            if (tag.startsWith("localhost/jlxcfs-test:")) Run.cmd(Duration.ofSeconds(60), podman, "podman", "rmi", tag.strip());
        }
    }

    /** The environment podman needs here (runc, cgroupfs, no default ulimits: {@link PodmanHarness}). */
    static synchronized Map<String, String> podmanEnv() throws IOException {
        name();
        return env;
    }

    /** The Maven version of the packaged jars (what {@code jlxcfs --version} prints). */
    static String mavenVersion() throws IOException {
        Path jar = TOP.resolve("daemon/target/jlxcfs-daemon.jar");
        if (!Files.isRegularFile(jar)) throw new AssertionError(jar + " is missing: integration tests run after package");
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.getManifest().getMainAttributes().getValue("Implementation-Version");
        }
    }
}
