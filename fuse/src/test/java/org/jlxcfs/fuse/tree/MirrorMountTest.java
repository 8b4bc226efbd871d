package org.jlxcfs.fuse.tree;

import org.jlxcfs.fuse.Caller;
import org.jlxcfs.fuse.FuseConfig;
import org.jlxcfs.fuse.FuseSession;
import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A mirror of a fake sysfs cpu directory on a real FUSE mount, read by root and by uid 1234, who
 * is shown cpu0 and cpu1 only, served from the host's cpu14 and cpu15. The tree caches for a minute, so only the zero cache time of the
 * filtered entries keeps one reader's lookups from serving the other.
 */
@RequiresRootAndFuse
class MirrorMountTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final String[] AS_USER = {"setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups"};

    @TempDir
    Path tmp;
    Path mnt, cpu;
    FuseSession session;

    @BeforeEach
    void mount() throws IOException, InterruptedException {
        // uid 1234 must reach the mount point
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path fake = tmp.resolve("host-cpu");
        for (int i = 0; i < 16; i++) {
            Files.createDirectories(fake.resolve("cpu" + i + "/topology"));
            Files.writeString(fake.resolve("cpu" + i + "/topology/core_id"), i + "\n");
        }
        Files.writeString(fake.resolve("possible"), "0-15\n");
        Files.createSymbolicLink(fake.resolve("cpu0/node0"), Path.of("../../node/node0"));
        Files.createSymbolicLink(fake.resolve("cpu14/node0"), Path.of("../../node/node1"));
        ChildFilter firstTwoForUid1234 = new ChildFilter() {
            @Override
            public boolean visible(Caller c, String name) {
                return c.uid() != 1234 || !name.matches("cpu[0-9]+") || Integer.parseInt(name.substring(3)) < 2;
            }

            @Override
            public String hostName(Caller c, String name) {
                return c.uid() == 1234 && name.matches("cpu[0-9]+") ? "cpu" + (14 + Integer.parseInt(name.substring(3))) : name;
            }
        };
        VirtualTree tree = VirtualTree.builder()
                .cacheFor(Duration.ofSeconds(60))
                .mirror("sys/devices/system/cpu", fake, firstTwoForUid1234)
                .file("sys/devices/system/cpu/online", Content.rendered(c -> (c.uid() == 1234 ? "0-1\n" : "0-15\n").getBytes()))
                .build();
        mnt = tmp.resolve("mnt");
        cpu = mnt.resolve("sys/devices/system/cpu");
        session = FuseSession.mount(mnt, tree, FuseConfig.defaults("jlxcfs-test").withThreads(2), false);
        session.awaitInit(Duration.ofSeconds(10));
    }

    @AfterEach
    void unmount() throws IOException {
        if (session != null) session.close();
        assertThat(MountTable.at(mnt)).as("no mount left at " + mnt).isEmpty();
    }

    private static String[] asUser(String... argv) {
        String[] all = new String[AS_USER.length + argv.length];
        System.arraycopy(AS_USER, 0, all, 0, AS_USER.length);
        System.arraycopy(argv, 0, all, AS_USER.length, argv.length);
        return all;
    }

    @Test
    void eachReaderListsItsOwnCpus() {
        String every = IntStream.range(0, 16).mapToObj(i -> "cpu" + i).sorted().collect(Collectors.joining("\n"));
        Map<String, String> c = Map.of("LC_ALL", "C"); // ls sorts bytewise, like sorted()
        assertThat(Run.cmd(T, c, "ls", cpu.toString()).requireSuccess().out())
                .isEqualTo(every + "\nonline\npossible\n");
        assertThat(Run.cmd(T, c, asUser("ls", cpu.toString())).requireSuccess().out())
                .isEqualTo("cpu0\ncpu1\nonline\npossible\n");
        assertThat(Run.cmd(T, c, "ls", cpu.toString()).requireSuccess().out()).as("root again, after the user's listing")
                .isEqualTo(every + "\nonline\npossible\n");
        assertThat(Run.cmd(T, "ls", cpu + "/cpu0").requireSuccess().out()).isEqualTo("node0\ntopology\n");
        assertThat(Run.cmd(T, "stat", "-c", "%a %h", cpu.toString()).requireSuccess().out()).isEqualTo("555 18\n");
        assertThat(Run.cmd(T, asUser("stat", "-c", "%a %h", cpu.toString())).requireSuccess().out()).isEqualTo("555 4\n");
    }

    @Test
    void mirroredFilesReadTheHostsContentAndBuilderFilesOverrideThem() {
        assertThat(Run.cmd(T, "cat", cpu + "/cpu3/topology/core_id", cpu + "/possible").requireSuccess().out())
                .isEqualTo("3\n0-15\n");
        assertThat(Run.cmd(T, asUser("cat", cpu + "/cpu1/topology/core_id", cpu + "/online")).requireSuccess().out())
                .as("the user's cpu1 is the host's cpu15").isEqualTo("15\n0-1\n");
        assertThat(Run.cmd(T, "stat", "-c", "%a %s", cpu + "/possible").requireSuccess().out()).as("the size of what a read gives").isEqualTo("444 5\n");
        assertThat(Run.cmd(T, "sh", "-c", "echo x > " + cpu + "/possible").err()).contains("Read-only file system");
    }

    @Test
    void eachReaderReadsTheHostCpuBehindItsOwnAndItsLinks() {
        assertThat(Run.cmd(T, "cat", cpu + "/cpu1/topology/core_id").requireSuccess().out()).isEqualTo("1\n");
        assertThat(Run.cmd(T, asUser("cat", cpu + "/cpu0/topology/core_id", cpu + "/cpu1/topology/core_id"))
                .requireSuccess().out()).isEqualTo("14\n15\n");
        assertThat(Run.cmd(T, "stat", "-c", "%F", cpu + "/cpu0/node0").requireSuccess().out()).isEqualTo("symbolic link\n");
        assertThat(Run.cmd(T, "readlink", cpu + "/cpu0/node0").requireSuccess().out()).isEqualTo("../../node/node0\n");
        assertThat(Run.cmd(T, asUser("readlink", cpu + "/cpu0/node0")).requireSuccess().out()).isEqualTo("../../node/node1\n");
        assertThat(Run.cmd(T, "readlink", cpu + "/cpu0/node0").requireSuccess().out()).as("root again")
                .isEqualTo("../../node/node0\n");
        Run.Result notALink = Run.cmd(T, "readlink", "-v", cpu + "/possible");
        assertThat(notALink.exit()).isNotZero();
        assertThat(notALink.err()).contains("Invalid argument");
        assertThat(Run.cmd(T, "sh", "-c", "ln -s x " + cpu + "/cpu0/new").err()).contains("Read-only file system");
    }

    @Test
    void aHiddenCpuStaysHiddenRightAfterAnotherReaderLookedItUp() {
        String coreId = cpu + "/cpu5/topology/core_id";
        for (int round = 0; round < 3; round++) {
            assertThat(Run.cmd(T, "cat", coreId).requireSuccess().out()).isEqualTo("5\n");
            Run.Result user = Run.cmd(T, asUser("cat", coreId));
            assertThat(user.exit()).isNotZero();
            assertThat(user.err()).contains("No such file or directory");
            assertThat(Run.cmd(T, asUser("ls", "-d", cpu + "/cpu5")).err()).contains("No such file or directory");
            assertThat(Run.cmd(T, "ls", "-d", cpu + "/cpu5").requireSuccess().out()).isEqualTo(cpu + "/cpu5\n");
        }
        // and while root keeps looking it up, the user keeps not finding it
        String userLoop = "for i in $(seq 300); do if [ -e " + coreId + " ]; then echo saw a hidden cpu; exit 1; fi; done; echo ok";
        Process root = null;
        try {
            root = Run.start(Map.of(), "sh", "-c", "for i in $(seq 300); do cat " + coreId + " || exit 1; done >/dev/null");
            assertThat(Run.cmd(T, asUser("sh", "-c", userLoop)).requireSuccess().out()).isEqualTo("ok\n");
            Run.await(root, T, "root's lookups").requireSuccess();
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            if (root != null) Run.kill(root);
        }
    }
}
