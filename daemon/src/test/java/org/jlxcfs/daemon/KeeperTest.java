package org.jlxcfs.daemon;

import org.jlxcfs.daemon.keeper.KeeperClient;
import org.jlxcfs.daemon.keeper.KeeperLauncher;
import org.jlxcfs.daemon.keeper.KeeperProtocol;
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
        assertThatThrownBy(() -> new KeeperClient(socket).put(mnt, held.state(), 1))
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
}
