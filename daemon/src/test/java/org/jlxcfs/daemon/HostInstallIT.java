package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RootAndFuseCondition;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bin/install and bin/build-deb on the packaged jars (runs after `package`): an install into a
 * temporary DESTDIR runs on its own Java runtime, its unit names it, its daemon mounts and serves,
 * a second install changes nothing, uninstall leaves nothing; the .deb holds the same tree.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostInstallIT {
    private static final Duration T = Duration.ofSeconds(240);
    private static final Path TOP = Path.of("..").toAbsolutePath().normalize();
    /** Not the default, so the test sees the unit's paths rewritten. */
    private static final String PREFIX = "/opt/jlxcfs-it";
    /** What a process started by the installed launcher sees: no JAVA_HOME, no JDK on PATH. */
    private static final String MINIMAL_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

    private static Path destdir;
    private static String version;

    @TempDir
    Path tmp;

    @BeforeAll
    static void install() throws IOException {
        version = ProjectImage.mavenVersion();
        destdir = Files.createTempDirectory("jlxcfs-install-it");
        Run.Result r = install("--destdir", destdir.toString(), "--prefix", PREFIX).requireSuccess();
        assertThat(r.out()).contains("installed jlxcfs " + version + " in " + destdir + PREFIX);
    }

    @AfterAll
    static void removeDestdir() {
        Run.deleteTree(destdir);
    }

    private static Run.Result install(String... args) {
        List<String> cmd = new ArrayList<>(List.of(TOP.resolve("bin/install").toString()));
        cmd.addAll(List.of(args));
        return Run.cmd(T, cmd.toArray(String[]::new));
    }

    private static Path installed(String path) {
        return Path.of(destdir + path);
    }

    /** {@code env -i PATH=... LAUNCHER args}: whatever Java it finds, it found without help. */
    private static String[] bare(Path launcher, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "-i", "PATH=" + MINIMAL_PATH, launcher.toString()));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    @Test
    @Order(0)
    void refusesWhatItCannotInstall() {
        Run.Result relative = install("--destdir", destdir.toString(), "--prefix", "opt/jlxcfs");
        assertThat(relative.exit()).isEqualTo(1);
        assertThat(relative.err()).contains("--prefix opt/jlxcfs: an absolute path");
        Run.Result unknown = install("--prefx", "/opt/x");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown option --prefx", "Usage: bin/install");
        assertThat(install("--help").requireSuccess().out()).contains("--destdir", "--uninstall");
    }

    @Test
    @Order(1)
    void launcherRunsOnTheInstalledRuntime() throws IOException {
        Path launcher = installed(PREFIX + "/bin/jlxcfs");
        assertThat(Run.cmd(T, bare(launcher, "--version")).requireSuccess().out().strip()).isEqualTo("jlxcfs " + version);
        // a JAVA_HOME naming no Java at all: the installed tree uses its own runtime, never that
        assertThat(Run.cmd(T, "env", "-i", "PATH=" + MINIMAL_PATH, "JAVA_HOME=/nonexistent", launcher.toString(), "--version")
                .requireSuccess().out().strip()).isEqualTo("jlxcfs " + version);
        assertThat(Run.cmd(T, bare(launcher, "keeper", "--help")).requireSuccess().out()).contains("--socket");
        // the link in BINDIR names the launcher as installed on the target
        assertThat(Files.isSymbolicLink(installed("/usr/local/bin/jlxcfs"))).isTrue();
        assertThat(Files.readSymbolicLink(installed("/usr/local/bin/jlxcfs")).toString()).isEqualTo(PREFIX + "/bin/jlxcfs");
        // the runtime is a jlink'd one: no compiler, no desktop module
        assertThat(installed(PREFIX + "/runtime/bin/javac")).doesNotExist();
        String modules = Run.cmd(T, installed(PREFIX + "/runtime/bin/java").toString(), "--list-modules").requireSuccess().out();
        assertThat(modules).contains("java.base", "jdk.httpserver").doesNotContain("java.desktop");
    }

    @Test
    @Order(2)
    void unitRunsTheInstalledLauncher() throws Exception {
        Path unit = installed("/etc/systemd/system/jlxcfs.service");
        String text = Files.readString(unit);
        List<String> exec = text.lines().filter(l -> l.startsWith("ExecStart")).toList();
        assertThat(exec).hasSize(2).allSatisfy(l -> assertThat(l.substring(l.indexOf('=') + 1)).startsWith(PREFIX + "/bin/jlxcfs "));
        assertThat(text).doesNotContain("/opt/jlxcfs/").contains("Documentation=file://" + PREFIX + "/README.md");
        assertThat(installed(PREFIX + "/bin/jlxcfs")).isExecutable();
        assertThat(installed(PREFIX + "/README.md")).isRegularFile();

        if (Run.cmd(Duration.ofSeconds(10), "sh", "-c", "command -v systemd-analyze").exit() != 0) {
            System.err.println("HostInstallIT: systemd-analyze is not installed: the unit file is not verified by systemd");
            return;
        }
        // systemd-analyze checks that the programs exist: a copy whose paths lead into DESTDIR
        Path copy = tmp.resolve("jlxcfs.service");
        Files.writeString(copy, text.replace(PREFIX + "/", destdir + PREFIX + "/"));
        Run.Result verify = Run.cmd(T, "systemd-analyze", "verify", copy.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        // systemd before 254 does not know FileDescriptorStorePreserve (documented in the unit); nothing else may be reported
        assertThat(verify.err().lines().filter(l -> !l.contains("Unknown key 'FileDescriptorStorePreserve'")).toList())
                .as(verify.err()).isEmpty();
    }

    @Test
    @Order(3)
    void installedDaemonMountsServesAndStops() throws Exception {
        String missing = RootAndFuseCondition.missing();
        if (missing != null) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError("CI must mount the installed daemon but " + missing);
            Assumptions.abort("the installed daemon is not started: " + missing);
        }
        Path mnt = tmp.resolve("mnt");
        Path launcher = installed(PREFIX + "/bin/jlxcfs");
        try (DaemonProcess d = DaemonProcess.launch(List.of(bare(launcher, "--no-keeper", "--no-remount", mnt.toString())),
                mnt, tmp.resolve("daemon.log"))) {
            d.awaitServing("proc/meminfo");
            // env and bash exec'd into java: the process is the installed runtime's java
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + d.process.pid() + "/exe")))
                    .isEqualTo(installed(PREFIX + "/runtime/bin/java").toRealPath());
            assertThat(Run.cmd(T, "cat", mnt + "/proc/meminfo").requireSuccess().out()).startsWith("MemTotal:");
            // files a running daemon uses are not removed under it unless asked
            Run.Result refused = install("--uninstall", "--destdir", destdir.toString(), "--prefix", PREFIX);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("jlxcfs still runs from " + destdir + PREFIX + " (pid " + d.process.pid() + ")");
            assertThat(installed(PREFIX + "/.install-manifest")).isRegularFile();
            d.signal("TERM");
            assertThat(d.awaitExit(Duration.ofSeconds(20))).as(d.log()).isZero();
            assertThat(MountTable.at(mnt)).isEmpty();
        }
    }

    @Test
    @Order(4)
    void reinstallChangesNothingAndUninstallLeavesNothing() throws Exception {
        Path java = installed(PREFIX + "/runtime/bin/java");
        Object inode = Files.getAttribute(java, "unix:ino");
        // what an older version left: a jar this build does not have, recorded by that install
        Path old = installed(PREFIX + "/lib/jlxcfs-old.jar");
        Files.writeString(old, "old");
        Files.writeString(installed(PREFIX + "/.install-manifest"), "f " + PREFIX + "/lib/jlxcfs-old.jar\n", StandardOpenOption.APPEND);
        Run.Result again = install("--destdir", destdir.toString(), "--prefix", PREFIX).requireSuccess();
        assertThat(again.out()).contains(": 0 files written, ").contains(", 1 removed");
        assertThat(old).doesNotExist();
        assertThat(Files.getAttribute(java, "unix:ino")).as("an unchanged file is left alone").isEqualTo(inode);

        // an enabled unit's link, as systemctl enable makes it
        Path wants = installed("/etc/systemd/system/multi-user.target.wants/jlxcfs.service");
        Files.createDirectories(wants.getParent());
        Files.createSymbolicLink(wants, Path.of("/etc/systemd/system/jlxcfs.service"));
        Run.Result gone = install("--uninstall", "--destdir", destdir.toString(), "--prefix", PREFIX).requireSuccess();
        assertThat(gone.out()).contains("uninstalled jlxcfs");
        try (Stream<Path> left = Files.walk(destdir)) {
            assertThat(left.filter(p -> !p.equals(destdir)).toList()).as("left in " + destdir).isEmpty();
        }
        assertThat(install("--uninstall", "--destdir", destdir.toString(), "--prefix", PREFIX).err()).contains("nothing was installed there");
    }

    @Test
    @Order(5)
    void debianPackageHoldsTheInstallAndItsScriptsRespectAMissingSystemd() throws Exception {
        Run.requireProgram("dpkg-deb", "apt-get install dpkg");
        Path out = tmp.resolve("out");
        Run.Result built = Run.cmd(T, TOP.resolve("bin/build-deb").toString(), "--output", out.toString(), "--compression", "gzip").requireSuccess();
        assertThat(built.out()).contains("size: ");
        Path deb;
        try (Stream<Path> debs = Files.list(out)) {
            deb = debs.filter(p -> p.getFileName().toString().matches("jlxcfs_.*_amd64\\.deb")).findFirst().orElseThrow();
        }
        String debVersion = version.replace('-', '~');
        assertThat(deb.getFileName().toString()).startsWith("jlxcfs_" + debVersion);

        String contents = Run.cmd(T, "dpkg-deb", "--contents", deb.toString()).requireSuccess().out();
        assertThat(contents).contains("./lib/systemd/system/jlxcfs.service", "./opt/jlxcfs/bin/jlxcfs", "./opt/jlxcfs/runtime/bin/java",
                "./opt/jlxcfs/lib/jlxcfs-daemon.jar", "./usr/bin/jlxcfs -> /opt/jlxcfs/bin/jlxcfs").doesNotContain(".install-manifest");
        // owned by root, readable by all, writable by none but root (jlink's legal notices are read-only)
        assertThat(contents.lines().filter(l -> !l.matches("([-d]r[-w][-x]r-[-x]r-[-x]|lrwxrwxrwx) root/root .*")).toList()).as("owners and modes").isEmpty();
        String info = Run.cmd(T, "dpkg-deb", "--info", deb.toString()).requireSuccess().out();
        assertThat(info).contains("Package: jlxcfs", "Version: " + debVersion, "Architecture: amd64",
                "Depends: fuse3 | fuse, python3-minimal | python3, util-linux, mount", "Description: ", "postinst", "prerm", "postrm");

        // dpkg --root would run the maintainer scripts chrooted in an empty root: extract instead
        Path root = tmp.resolve("root");
        Run.cmd(T, "dpkg-deb", "-x", deb.toString(), root.toString()).requireSuccess();
        Path launcher = root.resolve("opt/jlxcfs/bin/jlxcfs");
        assertThat(Run.cmd(T, bare(launcher, "--version")).requireSuccess().out().strip()).isEqualTo("jlxcfs " + version);
        assertThat(Files.readString(root.resolve("lib/systemd/system/jlxcfs.service"))).contains("ExecStart=/opt/jlxcfs/bin/jlxcfs ");

        // the scripts with a systemctl that only records its calls: none unless systemd runs here
        Path control = tmp.resolve("control");
        Run.cmd(T, "dpkg-deb", "-e", deb.toString(), control.toString()).requireSuccess();
        Path fake = tmp.resolve("fakebin");
        Path calls = tmp.resolve("systemctl.calls");
        Files.createDirectories(fake);
        Files.writeString(fake.resolve("systemctl"), "#!/bin/sh\necho \"$*\" >> " + calls + "\n");
        fake.resolve("systemctl").toFile().setExecutable(true);
        Map<String, String> env = Map.of("PATH", fake + ":" + MINIMAL_PATH);
        for (List<String> run : List.of(List.of("postinst", "configure"), List.of("postinst", "configure", "0.0.1"),
                List.of("prerm", "upgrade", "9.9"), List.of("prerm", "remove"), List.of("postrm", "remove"))) {
            List<String> cmd = new ArrayList<>(List.of(control.resolve(run.getFirst()).toString()));
            cmd.addAll(run.subList(1, run.size()));
            Run.cmd(T, env, cmd.toArray(String[]::new)).requireSuccess();
        }
        List<String> recorded = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        if (Files.isDirectory(Path.of("/run/systemd/system"))) {
            assertThat(recorded).containsExactly("daemon-reload", "daemon-reload", "try-restart jlxcfs.service",
                    "disable --now jlxcfs.service", "daemon-reload");
        } else {
            assertThat(recorded).as("systemctl called without systemd").isEmpty();
        }
    }
}
