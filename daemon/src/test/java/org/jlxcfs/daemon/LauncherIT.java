package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/jlxcfs, the launcher the README gives, on the packaged jar (runs after `package`). */
@RequiresRootAndFuse
class LauncherIT {
    private static final Duration T = Duration.ofSeconds(60);
    private static final Path TOP = Path.of("..").toAbsolutePath().normalize();
    private static final String LAUNCHER = TOP.resolve("bin/jlxcfs").toString();

    @TempDir
    Path tmp;

    @Test
    void findsJava25EvenWhenJavaHomeIsAnOlderJdk() {
        assertThat(Run.cmd(T, LAUNCHER, "--version").requireSuccess().out()).startsWith("jlxcfs 0.1");
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        if (Files.isDirectory(jdk17)) {
            assertThat(Run.cmd(T, Map.of("JAVA_HOME", jdk17.toString()), LAUNCHER, "--version").requireSuccess().out())
                    .startsWith("jlxcfs 0.1");
        }
        assertThat(Run.cmd(T, LAUNCHER, "--help").requireSuccess().out()).contains("MOUNTPOINT", "--threads", "--replace");
    }

    @Test
    void saysHowToBuildWhenTheJarIsMissing() throws Exception {
        Path copy = tmp.resolve("checkout/bin");
        Files.createDirectories(copy.resolve("lib"));
        for (String f : List.of("jlxcfs", "lib/find-java.sh")) Files.copy(TOP.resolve("bin").resolve(f), copy.resolve(f));
        Run.Result r = Run.cmd(T, copy.resolve("jlxcfs").toString(), "--version");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("jlxcfs-daemon.jar is missing; build it first", "bin/mvnw -DskipTests package");
    }

    @Test
    void mountsServesAndUnmountsOnSigterm() throws Exception {
        Path mnt = tmp.resolve("mnt");
        try (DaemonProcess d = DaemonProcess.launch(List.of(LAUNCHER, "--no-keeper", mnt.toString()), mnt, tmp.resolve("log"))) {
            d.awaitServing("proc/stat");
            assertThat(Run.cmd(T, "head", "-1", mnt + "/proc/stat").requireSuccess().out()).startsWith("cpu ");
            d.signal("TERM");
            assertThat(d.awaitExit(Duration.ofSeconds(15))).as(d.log()).isZero();
            assertThat(MountTable.at(mnt)).isEmpty();
        }
    }
}
