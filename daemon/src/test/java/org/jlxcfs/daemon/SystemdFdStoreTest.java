package org.jlxcfs.daemon;

import org.jlxcfs.fuse.MountTable;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Under systemd the unit's fd store is the keeper. Driven through the real sd_notify protocol
 * (fake-systemd.py: NOTIFY_SOCKET with FDSTORE=1, then LISTEN_FDS for the next process), the
 * daemon is killed and restarted under a reader in a container: no failed read.
 */
@RequiresRootAndFuse
class SystemdFdStoreTest {
    private static final long MIB = 1024 * 1024;
    Path tmp;
    Process systemd;
    PrintWriter in;
    BufferedReader out;
    LiveContainer container;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (container != null) container.close();
            if (systemd != null && systemd.isAlive()) {
                in.println("kill 15");
                in.println("flush");
                in.println("quit");
                in.flush();
                if (!systemd.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) Run.kill(systemd);
            }
        } finally {
            if (tmp != null && MountTable.at(tmp.resolve("mnt")).isPresent()) {
                Run.cmd(Duration.ofSeconds(10), "umount", "-l", tmp.resolve("mnt").toString());
            }
            Run.deleteTree(tmp);
        }
    }

    private String ask(String command) throws Exception {
        in.println(command);
        in.flush();
        String answer = out.readLine();
        assertThat(answer).as(command + "; daemon log:\n" + Files.readString(tmp.resolve("daemon.log"))).isNotNull();
        return answer;
    }

    /** The daemon as a unit's process under fake-systemd.py (not started yet). */
    private void startUnderFakeSystemd() throws Exception {
        tmp = Files.createTempDirectory("jlxcfs-systemd");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = tmp.resolve("fake-systemd.py");
        try (InputStream s = getClass().getResourceAsStream("/fake-systemd.py")) {
            Files.write(script, s.readAllBytes());
        }
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), tmp.resolve("notify.sock").toString(),
                "sh", "-c", "exec \"$@\" >> " + tmp.resolve("daemon.log") + " 2>&1", "daemon",
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--replace", "--no-remount", tmp.resolve("mnt").toString()));
        systemd = new ProcessBuilder(cmd).redirectError(tmp.resolve("systemd.err").toFile()).start();
        in = new PrintWriter(systemd.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(systemd.getInputStream(), StandardCharsets.UTF_8));
        Files.writeString(tmp.resolve("daemon.log"), "");
    }

    @Test
    void crashesAndRestartsUnderSystemdLoseNoRead() throws Exception {
        startUnderFakeSystemd();
        assertThat(ask("start")).startsWith("started");
        assertThat(ask("wait-ready")).isEqualTo("ready");
        assertThat(ask("store")).contains("jlxcfs-master=1", "jlxcfs-worker=", "jlxcfs-state=1");
        container = new LiveContainer(256 * MIB, 0, null).start(tmp.resolve("mnt"));
        Files.writeString(tmp.resolve("reader.py"), RestartSurvivalIT.READER);
        // reads until told to stop: daemon starts are slow on a loaded machine, and the verdict needs reads after them
        Path stop = tmp.resolve("stop-reader");
        Process reader = container.spawn("exec python3 " + tmp.resolve("reader.py") + " /proc/meminfo meminfo 120 0 " + stop);
        Thread.sleep(1000);
        for (int i = 0; i < 10; i++) {
            assertThat(ask(i % 2 == 0 ? "kill 9" : "kill 15")).startsWith("exited");
            assertThat(ask("start")).startsWith("started");
            assertThat(ask("wait-ready")).isEqualTo("ready");
        }
        assertThat(ask("store")).as("one generation of fds, not one per restart").contains("jlxcfs-master=1", "jlxcfs-state=1");
        Thread.sleep(2000);
        Files.writeString(stop, "");
        String result = Run.await(reader, Duration.ofSeconds(60), "reader").requireSuccess().out();
        System.out.println("under fake systemd, 5 SIGKILL + 5 SIGTERM restarts: " + result);
        assertThat(result).as(Files.readString(tmp.resolve("daemon.log"))).matches("(?s)reads=\\d{3,} failed=0 .*");
        String log = Files.readString(tmp.resolve("daemon.log"));
        assertThat(log).contains("took over", "leaving " + tmp.resolve("mnt") + " to the next process of the unit");
        assertThat(log.split("mounted jlxcfs at", -1)).as("mounted once, then only taken over").hasSize(2);
    }

    /**
     * A PSI trigger kept in the fd store (FDNAME=psi-&lt;fh&gt;, with its table psi-table): a poller
     * blocked in poll() in a loaded container goes on getting POLLPRI after a SIGKILL and after a
     * SIGTERM restart of the unit's process; closing the handle removes it from the store.
     */
    @Test
    void aPsiTriggerSurvivesRestartsOfTheUnitAndLeavesTheStoreWhenClosed() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/pressure/cpu"))
                && (LiveContainer.unifiedOnly() || Files.exists(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))),
                "no PSI or no unified cgroup hierarchy: nothing to trigger on");
        startUnderFakeSystemd();
        assertThat(ask("start")).startsWith("started");
        assertThat(ask("wait-ready")).isEqualTo("ready");
        container = new LiveContainer(0, 0.1, null).start(null);
        for (int i = 0; i < 2; i++) container.spawn("while :; do :; done");
        Path probe = PsiTriggerLiveTest.copyProbe(tmp);
        Process poller = PsiTriggerLiveTest.probeIn(probe, container, "wait", tmp.resolve("mnt/proc/pressure/cpu").toString(),
                "some 100000 2000000", "300");
        try {
            var lines = PsiTriggerLiveTest.lines(poller, new ArrayList<>());
            assertThat(lines.poll(30, java.util.concurrent.TimeUnit.SECONDS)).as("an event before any restart").startsWith("event ");
            assertThat(ask("store")).contains("psi-table=1").containsPattern("psi-[0-9a-f]+=1");
            for (String signal : new String[] {"9", "15"}) {
                assertThat(ask("kill " + signal)).startsWith("exited");
                assertThat(ask("start")).startsWith("started");
                assertThat(ask("wait-ready")).isEqualTo("ready");
                double restarted = System.currentTimeMillis() / 1000.0;
                lines.clear();
                List<String> after = new ArrayList<>();
                while (after.stream().filter(l -> PsiTriggerLiveTest.epoch(l) > restarted).count() < 2) {
                    String l = lines.poll(30, java.util.concurrent.TimeUnit.SECONDS);
                    assertThat(l).as("signal " + signal + ": the next event after " + after + "\n"
                            + Files.readString(tmp.resolve("daemon.log"))).isNotNull();
                    after.add(l);
                }
                System.out.println("== under fake systemd, a poller across a restart by signal " + signal + ": " + after);
                assertThat(after).as("only POLLPRI").allMatch(l -> l.matches("event \\S+ 0x2 \\S+"));
            }
            assertThat(ask("store")).as("kept once, not once per process").contains("psi-table=1").containsPattern("psi-[0-9a-f]+=1");
        } finally {
            Run.kill(poller);
        }
        String store = "";
        for (int i = 0; i < 100 && (store.isEmpty() || store.matches(".*psi-[0-9a-f]+=.*")); i++) {
            Thread.sleep(100);
            store = ask("store");
        }
        assertThat(store).as("the closed handle's trigger left the store").doesNotContainPattern("psi-[0-9a-f]+=")
                .contains("psi-table=1");
    }
}
