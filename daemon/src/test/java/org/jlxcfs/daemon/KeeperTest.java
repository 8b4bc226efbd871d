package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.keeper.KeeperLauncher;
import org.jlxcfs.daemon.keeper.KeeperProtocol;
import org.jlxcfs.daemon.keeper.ProcessIdentity;
import org.jlxcfs.fuse.Libc;
import org.jlxcfs.fuse.UnixSocket;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keeper on its own: who may talk to it, and what it does with bad messages. */
@RequiresRootAndFuse
class KeeperTest {
    private static final Duration T = Duration.ofSeconds(30);
    Path tmp, socket;
    DaemonProcess daemon;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("jlxcfs-keeper");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = tmp.resolve("k/keeper.sock");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            daemon.signal("TERM");
            daemon.awaitExit(Duration.ofSeconds(20));
            daemon.close();
        }
        DaemonProcess.killKeeper(socket);
        Run.deleteTree(tmp);
    }

    private DaemonProcess serving() throws Exception {
        daemon = DaemonProcess.start(tmp.resolve("mnt"), tmp.resolve("daemon.log"), "--keeper-socket", socket.toString())
                .awaitServing("proc/uptime");
        return daemon;
    }

    /** A python client for the keeper socket, run as another user. */
    private static final String CONNECT = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                s.connect(sys.argv[1])
            except OSError as e:
                print('connect', e.strerror); sys.exit(0)
            s.settimeout(5)
            try:
                s.send(b'jlxcfs-keeper/1 GET\\nmount=' + sys.argv[2].encode() + b'\\n')
            except OSError as e:
                print('send', e.strerror); sys.exit(0)
            try:
                msg, fds, flags, addr = socket.recv_fds(s, 65536, 16)
                print('answer', len(msg), 'bytes', len(fds), 'fds')
            except OSError as e:
                print('recv', e)
            """;

    @Test
    void aNonRootUserCannotConnectAndGetsNothingEvenWhenTheSocketIsOpenedUp() throws Exception {
        serving();
        String mnt = tmp.resolve("mnt").toString();
        Run.Result r = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups",
                "/usr/bin/python3", "-c", CONNECT, socket.toString(), mnt);
        assertThat(r.out()).as(r.err()).startsWith("connect Permission denied");
        // even if someone opens the directory and the socket to everyone, the peer check refuses
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
        r = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups",
                "/usr/bin/python3", "-c", CONNECT, socket.toString(), mnt);
        assertThat(r.out()).as(r.err()).matches("(answer 0 bytes 0 fds|send Broken pipe|send Connection reset by peer|recv .*Connection reset by peer)\n");
        assertThat(Files.readString(socket.resolveSibling("keeper.log"))).contains("refused a keeper connection from uid 1234");
        // root is served
        KeeperClient.Session held = new KeeperClient(socket).get(tmp.resolve("mnt")).orElseThrow();
        held.closeAll();
        assertThat(held.pid()).isEqualTo((int) daemon.process.pid());
    }

    @Test
    void malformedMessagesAreRejectedWithAReasonAndTheLiveSessionIsUntouched() throws Exception {
        serving();
        Path mnt = tmp.resolve("mnt");
        String[] bad = {
            "hello",
            "jlxcfs-keeper/7 GET\nmount=" + mnt + "\n",
            "jlxcfs-keeper/1 EXPLODE\n",
            "jlxcfs-keeper/1 PUT\nmount=" + mnt + "\nstate=bm90IGEgc3RhdGU=\npid=1\n",
            "jlxcfs-keeper/1 PUT\nmount=" + mnt + "\nstate=%%%\npid=1\n",
            "jlxcfs-keeper/1 PUT\nmount=" + mnt + "\n",
            "jlxcfs-keeper/1 GET\nno equals sign\n",
        };
        int devnull = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            for (String m : bad) {
                try (UnixSocket s = UnixSocket.connect(socket)) {
                    s.receiveTimeout(5000);
                    s.send(m.getBytes(StandardCharsets.UTF_8), m.contains("PUT") ? new int[] {devnull} : new int[0]);
                    KeeperProtocol.Message answer = KeeperProtocol.decode(s.receive().data());
                    assertThat(answer.verb()).as(m).isEqualTo("ERR");
                    assertThat(answer.fields().get("reason")).as(m).isNotBlank();
                }
            }
        } finally {
            Libc.close(devnull);
        }
        assertThat(Files.readString(socket.resolveSibling("keeper.log")))
                .contains("not a keeper message", "version 7 is not spoken here", "unknown keeper verb 'EXPLODE'",
                        "unreadable INIT state", "PUT without state=");
        // the session held for the live mount is the daemon's, unchanged, and still serves
        KeeperClient.Session held = new KeeperClient(socket).get(mnt).orElseThrow();
        held.closeAll();
        assertThat(held.pid()).isEqualTo((int) daemon.process.pid());
        assertThat(held.state().kernelMinor()).isPositive();
        assertThat(Run.cmd(T, "cat", mnt + "/proc/uptime").exit()).isZero();
        assertThatThrownBy(() -> new KeeperClient(socket).put(mnt, held.state()))
                .hasMessageContaining("refused PUT").hasMessageContaining("carries no fds");
    }

    @Test
    void theDaemonStartsAKeeperWhenNoneRunsAndReusesARunningOne() throws Exception {
        assertThat(new KeeperClient(socket).available()).isFalse();
        KeeperClient first = KeeperLauncher.ensureRunning(socket);
        String pid = Files.readString(socket.resolveSibling("keeper.pid")).strip();
        KeeperLauncher.ensureRunning(socket);
        assertThat(Files.readString(socket.resolveSibling("keeper.pid")).strip()).isEqualTo(pid);
        assertThat(first.available()).isTrue();
        assertThat(new KeeperClient(socket).get(tmp.resolve("nothing"))).isEmpty();
    }

    /**
     * A PUT made by a python process (no JVM to wait for): its own pid, start time, command line
     * and cwd, unless MODE lies about one of them; /dev/null stands in for the FUSE fds. Prints its
     * pid, then the keeper's answer.
     */
    private static final String PUT = """
            import base64, os, socket, sys
            sock, mount, state, mode = sys.argv[1:5]
            pid = os.getpid()
            start = open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]
            argv = open('/proc/self/cmdline', 'rb').read()
            cwd = os.getcwd().encode()
            if mode == 'otherpid': pid = os.getppid()
            if mode == 'start': start = str(int(start) - 1)
            if mode == 'argv': argv = argv.replace(b'python3', b'evil')
            if mode == 'cwd': cwd = b'/'
            msg = 'jlxcfs-keeper/1 PUT\\nmount=%s\\nstate=%s\\npid=%d\\nstart=%s\\nargv=%s\\ncwd=%s\\n' % (mount, state, pid,
                start, base64.b64encode(argv).decode(), base64.b64encode(cwd).decode())
            print(os.getpid(), flush=True)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(sock)
            fd = os.open('/dev/null', os.O_RDONLY)
            socket.send_fds(s, [msg.encode()], [fd, fd])
            print(s.recv(65536).decode().replace('\\n', ' '), flush=True)
            if len(sys.argv) > 5: open(sys.argv[5], 'w').close(); sys.stdin.read()
            """;

    private Run.Result put(String mode, Path mount) throws Exception {
        Path script = Files.writeString(tmp.resolve("put.py"), PUT);
        return Run.cmd(T, "/usr/bin/python3", script.toString(), socket.toString(), mount.toString(), state(), mode);
    }

    private static String state() {
        return java.util.Base64.getEncoder().encodeToString(new org.jlxcfs.fuse.InitState(45, 0, 45, 0, 0, 4096, 12, 9).toBytes());
    }

    @Test
    void aPutIsRefusedUnlessItComesFromTheProcessItNamesRunningTheCommandLineItSends() throws Exception {
        Process k = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"), "--no-restart");
        try {
            Path mnt = tmp.resolve("mnt");
            for (String[] c : new String[][] {
                    {"otherpid", "names pid "}, {"start", " did not start at tick "},
                    {"argv", "its argv is not /proc/"}, {"cwd", "is not /proc/"}}) {
                Run.Result r = put(c[0], mnt);
                assertThat(r.out()).as(c[0] + ": " + r.err()).contains("jlxcfs-keeper/1 ERR", c[1]);
                assertThat(new KeeperClient(socket).get(mnt)).as(c[0] + ": nothing held").isEmpty();
            }
            assertThat(Files.readString(socket.resolveSibling("keeper.log")))
                    .contains("but comes from pid", "its argv is not /proc/");
            Run.Result ok = put("ok", mnt);
            assertThat(ok.out()).as(ok.err()).contains("jlxcfs-keeper/1 OK");
            int pid = Integer.parseInt(ok.out().lines().findFirst().orElseThrow().strip());
            KeeperClient.Session held = new KeeperClient(socket).get(mnt).orElseThrow();
            held.closeAll();
            assertThat(held.pid()).isEqualTo(pid);
            assertThat(held.command().argv()).startsWith("/usr/bin/python3");
            assertThat(held.command().cwd()).isEqualTo(Path.of("").toAbsolutePath().toRealPath().toString());
        } finally {
            Run.kill(k);
        }
    }

    /**
     * PSI trigger fds kept with a connection: only for the daemon that PUT it (this JVM here, which
     * the keeper verifies like any daemon), one fd per HOLD, bounded per mount, listed a page at a
     * time (one message carries at most 64 fds), closed by FREE and by DROP.
     */
    @Test
    void triggerFdsAreHeldOnlyForTheServingDaemonBoundedPagedFreedAndDroppedWithTheConnection() throws Exception {
        Process k = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"), "--no-restart");
        Path mnt = tmp.resolve("mnt");
        KeeperClient keeper = new KeeperClient(socket);
        int memfd = Libc.memfd("jlxcfs-test-trigger", new byte[1]);
        int stand = Libc.eventfd(0, Libc.EFD_CLOEXEC); // stands in for the connection's fd
        try {
            assertThatThrownBy(() -> keeper.hold(mnt, "psi-1", memfd)).hasMessageContaining("not held here");
            keeper.put(mnt, new org.jlxcfs.fuse.InitState(45, 0, 45, 0, 0, 4096, 12, 9), stand);
            for (int i = 1; i <= 150; i++) keeper.hold(mnt, "psi-" + Integer.toHexString(i), memfd);
            keeper.hold(mnt, "psi-1", memfd); // the same name again replaces, it does not add
            assertThat(fdCount(k)).as("the keeper's fds on the trigger stand-in").isEqualTo(150);
            var kept = keeper.kept(mnt);
            try {
                assertThat(kept).as("three pages").hasSize(150).containsKeys("psi-1", "psi-96");
                assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + kept.get("psi-40"))).toString())
                        .contains("jlxcfs-test-trigger");
            } finally {
                kept.values().forEach(Libc::close);
            }
            assertThatThrownBy(() -> keeper.hold(mnt, "PSI 1", memfd)).hasMessageContaining("bad fd name");
            // another root process (not the daemon the keeper recorded) is refused
            String other = """
                    import os, socket, sys
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
                    fd = os.open('/dev/null', os.O_RDONLY)
                    socket.send_fds(s, [b'jlxcfs-keeper/1 HOLD\\nmount=%s\\nname=psi-ff\\n' % sys.argv[2].encode()], [fd])
                    print(s.recv(65536).decode().replace('\\n', ' '))
                    """;
            Run.Result r = Run.cmd(T, "/usr/bin/python3", "-c", other, socket.toString(), mnt.toAbsolutePath().toString());
            assertThat(r.out()).as(r.err()).contains("ERR", "which does not serve it");
            keeper.free(mnt, "psi-5");
            keeper.free(mnt, "psi-unknown");
            assertThat(fdCount(k)).as("after one FREE").isEqualTo(149);
            int added = 0;
            try {
                while (added < 10_000) {
                    keeper.hold(mnt, "psi-b" + Integer.toHexString(added), memfd);
                    added++;
                }
            } catch (java.io.IOException e) {
                assertThat(e).hasMessageContaining("fds are kept for it already");
            }
            assertThat(149 + added).as("fds a mount may keep").isEqualTo(4096 + 64);
            keeper.drop(mnt);
            assertThat(fdCount(k)).as("after DROP: every kept fd closed").isZero();
        } finally {
            Libc.close(memfd);
            Libc.close(stand);
            Run.kill(k);
        }
    }

    /** The keeper's fds on the test's stand-in for trigger files. */
    private static int fdCount(Process p) throws Exception {
        try (var s = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
            return (int) s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("jlxcfs-test-trigger");
                } catch (java.io.IOException e) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void aProcessIdentityIsItsPidAndStartTimeAndAWrongStartTimeIsNeverSignalled() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            ProcessIdentity real = ProcessIdentity.of((int) sleep.pid()).orElseThrow();
            ProcessIdentity stale = new ProcessIdentity(real.pid(), real.startTime() - 1);
            assertThat(real.alive()).isTrue();
            assertThat(stale.alive()).as("same pid, another start time: someone else").isFalse();
            assertThat(stale.open()).isEmpty();
            assertThat(stale.signal(Libc.SIGTERM)).isEqualTo(-org.jlxcfs.fuse.Errno.ESRCH);
            Thread.sleep(200);
            assertThat(sleep.isAlive()).as("not signalled").isTrue();
            try (ProcessIdentity.Pidfd fd = real.open().orElseThrow()) {
                assertThat(fd.exited()).isFalse();
                assertThat(fd.signal(Libc.SIGTERM)).isZero();
                assertThat(sleep.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(fd.exited()).isTrue();
            }
            assertThat(real.alive()).isFalse();
        } finally {
            sleep.destroyForcibly();
        }
    }

    /**
     * The keeper recorded a daemon that then exited; its pid is given to another process (through
     * ns_last_pid, as CRIU does). `jlxcfs restart` must see that pid is someone else, say so in
     * one line, and neither run the recorded command nor signal the newcomer.
     */
    @Test
    void restartRefusesWhenTheRecordedPidNowBelongsToAnotherProcess() throws Exception {
        Process k = DaemonProcess.keeper(socket, socket.resolveSibling("keeper.log"), "--no-restart");
        Process squatter = null;
        ProcessIdentity newcomer = null;
        try {
            Path mnt = tmp.resolve("mnt");
            Path marker = tmp.resolve("put-marker");
            Path script = Files.writeString(tmp.resolve("put.py"), PUT);
            // the recorded "daemon": a python process that PUTs, then waits until we close its stdin
            Process daemon = new ProcessBuilder("/usr/bin/python3", script.toString(), socket.toString(), mnt.toString(),
                    state(), "ok", marker.toString()).redirectErrorStream(true).start();
            for (int i = 0; i < 200 && !Files.exists(marker); i++) Thread.sleep(50);
            int pid = (int) daemon.pid();
            assertThat(new KeeperClient(socket).get(mnt).map(h -> { h.closeAll(); return h.pid(); })).contains(pid);
            daemon.getOutputStream().close();
            assertThat(daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            squatter = squat(pid);
            org.junit.jupiter.api.Assumptions.assumeTrue(squatter != null, "could not get pid " + pid + " again (busy machine)");
            // judged from /proc: the JDK keys exit bookkeeping by pid, and a Process made while the
            // previous holder's entry is still there can report that one's exit as its own
            newcomer = ProcessIdentity.of(pid).orElseThrow();
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "restart", "--keeper-socket", socket.toString(), "--timeout", "5", mnt.toString()));
            Run.Result r = Run.cmd(T, cmd.toArray(String[]::new));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip()).as("one line").doesNotContain("\n")
                    .contains("pid " + pid + " now belongs to another process", "nothing was started or signalled");
            Thread.sleep(300);
            assertThat(newcomer.alive()).as("the process now at pid " + pid + " was not signalled").isTrue();
            assertThat(Run.cmd(T, "pgrep", "-f", marker.toString()).out()).as("the recorded command was not run").isBlank();
        } finally {
            if (squatter != null) squatter.destroyForcibly();
            if (newcomer != null) newcomer.signal(Libc.SIGKILL); // in case the JDK thinks it exited
            Run.kill(k);
        }
    }

    /** A `sleep` that gets {@code pid} (ns_last_pid = pid - 1, then fork), or null if others keep taking it. */
    private static Process squat(int pid) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            Files.writeString(Path.of("/proc/sys/kernel/ns_last_pid"), String.valueOf(pid - 1));
            Process p = new ProcessBuilder("sleep", "60").start();
            if (p.pid() == pid) return p;
            p.destroyForcibly().waitFor();
        }
        return null;
    }
}
