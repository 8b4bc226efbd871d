package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM's AOT cache as bin/jlxcfs makes and uses it (runs after `package`), on a copy of the
 * packaged jars laid out as an install ({@code lib/*.jar}, {@code runtime} = this JDK), so the
 * checkout's own cache is never touched. Needs neither root nor FUSE.
 */
class AotCacheIT {
    private static final Duration T = Duration.ofSeconds(180);
    private static final Path TOP = Path.of("..").toAbsolutePath().normalize();
    private static final Path TARGET = TOP.resolve("daemon/target");

    @TempDir
    Path tmp;
    private Path launcher;
    private Path cache;

    @BeforeEach
    void install() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.createDirectories(tmp.resolve("bin"));
        Files.copy(TOP.resolve("bin/jlxcfs"), tmp.resolve("bin/jlxcfs"));
        Files.copy(TARGET.resolve("jlxcfs-daemon.jar"), lib.resolve("jlxcfs-daemon.jar"));
        try (Stream<Path> jars = Files.list(TARGET.resolve("lib"))) {
            for (Path j : jars.toList()) Files.copy(j, lib.resolve(j.getFileName()));
        }
        Files.createSymbolicLink(tmp.resolve("runtime"), Path.of(System.getProperty("java.home")));
        launcher = tmp.resolve("bin/jlxcfs");
        cache = lib.resolve("jlxcfs.aot");
    }

    @AfterEach
    void unlinkRuntime() throws Exception {
        Files.deleteIfExists(tmp.resolve("runtime"));   // the link only, before @TempDir warns about it
    }

    private Run.Result run(String... args) {
        return Run.cmd(T, Map.of("JLXCFS_JAVA_OPTS", "-Xlog:class+load=info:stderr"),
                Stream.concat(Stream.of(launcher.toString()), Stream.of(args)).toArray(String[]::new));
    }

    private static boolean fromCache(Run.Result r) {
        return r.err().lines().anyMatch(l -> l.contains("org.jlxcfs.daemon.Main source: shared objects file"));
    }

    @Test
    void trainingMakesACacheTheLauncherUses() {
        assertThat(fromCache(run("--version"))).as("no cache yet").isFalse();
        Run.Result made = Run.cmd(T, launcher.toString(), "aot-cache", "--rounds", "20").requireSuccess();
        assertThat(made.out()).contains("made the AOT cache " + cache);
        assertThat(made.err()).as("every part of the training ran (the keeper exchange too)").doesNotContain("aot-train");
        assertThat(cache).isNotEmptyFile();
        assertThat(tmp.resolve("lib")).isDirectoryNotContaining("glob:**.tmp.*");
        Run.Result r = run("--version").requireSuccess();
        assertThat(r.out()).isEqualTo("jlxcfs 0.1.0-SNAPSHOT\n");
        assertThat(fromCache(r)).as(r.err()).isTrue();
        // the rendering code the training ran is in it too, and `show` still writes only the file
        Run.Result show = run("show", "proc/uptime").requireSuccess();
        assertThat(show.out()).matches("[0-9.]+ [0-9.]+\n");
        assertThat(show.err()).contains("org.jlxcfs.view.files.UptimeFile source: shared objects file");
    }

    @Test
    void aStaleCacheIsSkippedWithOneLine() throws Exception {
        Run.cmd(T, launcher.toString(), "aot-cache", "--rounds", "1").requireSuccess();
        Path jar = tmp.resolve("lib/picocli.jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
        Run.Result r = run("--version").requireSuccess();
        assertThat(r.out()).isEqualTo("jlxcfs 0.1.0-SNAPSHOT\n");
        assertThat(fromCache(r)).isFalse();
        assertThat(r.err()).contains("jlxcfs: " + cache + " is older than " + jar + ": starting without it");
    }

    @Test
    void aCacheTheJvmRefusesOnlyCostsWarningsOnStderr() throws Exception {
        Files.write(cache, new byte[100_000]);
        Run.Result r = run("--version").requireSuccess();
        assertThat(r.out()).isEqualTo("jlxcfs 0.1.0-SNAPSHOT\n");
        assertThat(fromCache(r)).isFalse();
        assertThat(r.err()).contains("[aot]");
    }

    @Test
    void aFailedTrainingLeavesNoCacheAndSaysSo() {
        Run.Result r = Run.cmd(T, Map.of("JLXCFS_JAVA_OPTS", "-XX:NoSuchOption"), launcher.toString(), "aot-cache");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("could not make the AOT cache " + cache, "runs without it");
        assertThat(cache).doesNotExist();
        assertThat(tmp.resolve("lib")).isDirectoryNotContaining("glob:**.tmp.*");
        assertThat(Run.cmd(T, launcher.toString(), "--version").requireSuccess().out()).startsWith("jlxcfs 0.1");
    }

    @Test
    void jarsAreOnTheClassPathInNameOrder() throws Exception {
        Run.Result r = Run.cmd(T, Map.of("JLXCFS_JAVA_OPTS", "-XshowSettings:properties"), launcher.toString(), "--version");
        // -XshowSettings prints a path property one entry a line, the first after "java.class.path = "
        List<String> lines = r.err().lines().map(String::trim).toList();
        int at = lines.indexOf(lines.stream().filter(l -> l.startsWith("java.class.path = ")).findFirst().orElseThrow());
        List<String> names = lines.subList(at, lines.size()).stream()
                .map(l -> l.replaceFirst("^java\\.class\\.path = ", "")).takeWhile(l -> l.endsWith(".jar"))
                .map(p -> Path.of(p).getFileName().toString()).toList();
        assertThat(names.getFirst()).isEqualTo("jlxcfs-daemon.jar");
        assertThat(names.subList(1, names.size())).isSorted().contains("picocli.jar", "jlxcfs-fuse.jar");
    }
}
