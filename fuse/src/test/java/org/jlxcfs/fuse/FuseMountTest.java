package org.jlxcfs.fuse;

import org.jlxcfs.fuse.testing.ReadUntilError;
import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.jlxcfs.fuse.tree.Content;
import org.jlxcfs.fuse.tree.VirtualTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real FUSE mount served by this JVM, read by real processes (cat, sh, python3, dd, find).
 * Everything mounted is unmounted after each test, also when it fails.
 */
@RequiresRootAndFuse
class FuseMountTest {
    private static final Duration T = Duration.ofSeconds(30);
    static final byte[] BIG = new byte[1 << 20];
    static {
        new Random(7).nextBytes(BIG);
    }

    @TempDir
    Path tmp;
    Path mnt;
    FuseSession session;
    VirtualTree tree;
    final AtomicInteger renders = new AtomicInteger();

    /** Nested dirs, a 1,000-entry dir, small files, a 1 MiB file, per-caller and large rendered files. */
    VirtualTree testTree() {
        VirtualTree.Builder b = VirtualTree.builder()
                .file("hello", Content.of("hello\n"))
                .file("a/b/c/deep.txt", Content.of("deep\n"))
                .dir("a/empty")
                .file("big", Content.of(BIG))
                .file("whoami", Content.rendered(c -> ("pid=" + c.pid() + " uid=" + c.uid() + " gid=" + c.gid() + "\n")
                        .getBytes(StandardCharsets.US_ASCII)))
                // 300 KB, every line stamped with the rendering's number: a reader that mixed two
                // renderings would see two different stamps
                .file("stamped", Content.rendered(c -> {
                    String line = String.format("render %09d%n", renders.incrementAndGet());
                    return line.repeat(300_000 / line.length()).getBytes(StandardCharsets.US_ASCII);
                }))
                .file("root-only", 0400, Content.rendered(c -> "secret\n".getBytes(StandardCharsets.US_ASCII)))
                // every kind of failure a view could throw, an Error included
                .file("broken/error", Content.rendered(c -> { throw new Error("injected"); }))
                .file("broken/assertion", Content.rendered(c -> { throw new AssertionError("injected"); }))
                .file("broken/stack", Content.rendered(c -> { throw new StackOverflowError(); }))
                .file("broken/runtime", Content.rendered(c -> { throw new IllegalStateException("injected"); }));
        for (int i = 0; i < 1000; i++) b.file(String.format("many/f%04d", i), Content.of("file " + i + "\n"));
        return b.build();
    }

    @BeforeEach
    void mount() throws IOException, InterruptedException {
        // other users must reach the mount point (the uid/gid tests read as uid 1234)
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        mnt = tmp.resolve("mnt");
        tree = testTree();
        session = FuseSession.mount(mnt, tree, FuseConfig.defaults("jlxcfs-test").withThreads(2), false);
        session.awaitInit(Duration.ofSeconds(10));
    }

    @AfterEach
    void unmount() throws IOException {
        if (session != null) session.close();
        assertThat(MountTable.at(mnt)).as("no mount left at " + mnt).isEmpty();
    }

    private String sh(String script) {
        return Run.cmd(T, "sh", "-c", script).requireSuccess().out();
    }

    @Test
    void mountinfoShowsTheFuseSubtypeAndOptions() throws IOException {
        MountTable.Mount m = MountTable.at(mnt).orElseThrow();
        assertThat(m.fsType()).isEqualTo("fuse.jlxcfs-test");
        assertThat(m.source()).isEqualTo("jlxcfs-test");
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(mnt + " rw,nosuid,nodev");
    }

    @Test
    void nestedDirectoriesAndSmallFilesReadWithCatAndFind() {
        assertThat(sh("cat " + mnt + "/hello " + mnt + "/a/b/c/deep.txt")).isEqualTo("hello\ndeep\n");
        assertThat(sh("cd " + mnt + " && find . -type d | sort")).isEqualTo(".\n./a\n./a/b\n./a/b/c\n./a/empty\n./broken\n./many\n");
        assertThat(sh("ls -A " + mnt + "/a/empty")).isEmpty();
        assertThat(sh("stat -c '%s %a %F' " + mnt + "/hello " + mnt + "/a")).isEqualTo("6 444 regular file\n0 555 directory\n");
        assertThat(Run.cmd(T, "cat", mnt + "/nope").err()).contains("No such file or directory");
        assertThat(sh("df -P " + mnt + " | tail -1")).startsWith("jlxcfs-test");
    }

    @Test
    void aThousandEntryDirectoryListsCompletelyAndInOrder() {
        String[] names = sh("ls -f " + mnt + "/many").split("\n");
        assertThat(names).hasSize(1002).contains(".", "..");
        List<String> files = new ArrayList<>(List.of(names));
        files.removeAll(List.of(".", ".."));
        assertThat(files).hasSize(1000).isSorted().first().isEqualTo("f0000");
        assertThat(sh("cat " + mnt + "/many/f0999")).isEqualTo("file 999\n");
        assertThat(sh("find " + mnt + "/many -type f | wc -l").trim()).isEqualTo("1000");
    }

    @Test
    void oneMebibyteFileReadsWholeInChunksAndAtRandomOffsets() throws IOException {
        Path expected = tmp.resolve("big.expected");
        Files.write(expected, BIG);
        sh("cmp " + expected + " " + mnt + "/big");
        sh("dd if=" + mnt + "/big bs=4096 status=none | cmp - " + expected);
        sh("dd if=" + mnt + "/big bs=65537 status=none | cmp - " + expected);
        String py = """
                import os, random, sys
                want = open(sys.argv[2], 'rb').read()
                fd = os.open(sys.argv[1], os.O_RDONLY)
                r = random.Random(3)
                for _ in range(2000):
                    off = r.randrange(0, len(want) + 10); n = r.randrange(1, 70000)
                    got = os.pread(fd, n, off)
                    if got != want[off:off + n]: sys.exit('mismatch at %d+%d' % (off, n))
                print('ok')
                """;
        assertThat(Run.cmd(T, "python3", "-c", py, mnt + "/big", expected.toString()).requireSuccess().out()).isEqualTo("ok\n");
    }

    @Test
    void eachCallerSeesItsOwnPidUidAndGid() {
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                children.add(Run.start(Map.of(), "sh", "-c", "echo $$; exec cat " + mnt + "/whoami"));
            }
            for (Process p : children) {
                String[] lines = Run.await(p, T, "cat whoami").requireSuccess().out().split("\n");
                assertThat(lines[1]).isEqualTo("pid=" + lines[0] + " uid=0 gid=0");
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            children.forEach(Run::kill);
        }
        String other = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "4321", "--clear-groups", "sh", "-c",
                "echo $$; exec cat " + mnt + "/whoami").requireSuccess().out();
        String[] lines = other.split("\n");
        assertThat(lines[1]).isEqualTo("pid=" + lines[0] + " uid=1234 gid=4321");
    }

    /**
     * On this kernel sendfile and splice of a direct-I/O FUSE file, and mmap, read through the
     * file's page cache, which all its readers share (with the size that ends such reads): the
     * tree refuses those reads (EIO), and busybox cat and shutil.copyfile fall back to read(2),
     * which gives each reader its own bytes. Raw sendfile, splice and mmap fail rather than give a
     * reader someone else's bytes; wherever they do give bytes, those are the reader's.
     */
    @Test
    void everyWayOfReadingGivesTheCallersOwnBytesOrARefusal() throws IOException {
        String py = """
                import os, sys, mmap, shutil, tempfile, errno
                path = sys.argv[1]
                def sendfile():
                    out = tempfile.TemporaryFile(); fd = os.open(path, os.O_RDONLY)
                    while os.sendfile(out.fileno(), fd, None, 65536) > 0: pass
                    os.close(fd); out.seek(0); return out.read()
                def splice():
                    fd = os.open(path, os.O_RDONLY); r, w = os.pipe(); got = b''
                    while (n := os.splice(fd, w, 65536)) > 0: got += os.read(r, n)
                    os.close(fd); os.close(r); os.close(w); return got
                def copyfile():
                    d = tempfile.mkdtemp(); shutil.copyfile(path, d + '/c'); return open(d + '/c', 'rb').read()
                def direct():
                    fd = os.open(path, os.O_RDONLY | os.O_DIRECT); b = b''
                    while (c := os.read(fd, 1 << 20)): b += c
                    os.close(fd); return b
                def pread():
                    fd = os.open(path, os.O_RDONLY); first = os.pread(fd, 5, 0); b = first + os.pread(fd, 1 << 20, 5); os.close(fd); return b
                def plain():
                    return open(path, 'rb').read()
                for name, f in [('plain', plain), ('sendfile', sendfile), ('splice', splice), ('copyfile', copyfile),
                                ('direct', direct), ('pread', pread)]:
                    try:
                        b = f(); print(name, len(b), b.decode().splitlines()[0] if b else 'EMPTY', len(set(b.decode().splitlines())))
                    except OSError as e:
                        print(name, 'refused', errno.errorcode[e.errno])
                """;
        // root's whoami is shorter than uid 1234's: after root's stat the kernel knows a size below
        // what uid 1234 reads, which must still get all of it
        Path script = Files.writeString(tmp.resolve("ways.py"), py);
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        for (String file : List.of("whoami", "stamped")) {
            sh("stat " + mnt + "/" + file + " > /dev/null");
            String out = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "4321", "--clear-groups", "sh", "-c",
                    "echo $$; exec /usr/bin/python3 " + script + " " + mnt + "/" + file).requireSuccess().out();
            String pid = out.lines().findFirst().orElseThrow();
            List<String> rows = out.lines().skip(1).toList();
            assertThat(rows).as(file + ": " + out).hasSize(6);
            for (String row : rows) {
                String[] f = row.split(" ", 3);
                if (f[1].equals("refused")) {
                    assertThat(f[0]).as(row).isIn("sendfile", "splice");
                    assertThat(f[2]).as(row).isEqualTo("EIO");
                } else if (file.equals("whoami")) {
                    String expected = "pid=" + pid + " uid=1234 gid=4321";
                    assertThat(f[2]).as(row).isEqualTo(expected + " 1");
                    assertThat(f[1]).as(row).isEqualTo(String.valueOf(expected.length() + 1));
                } else {
                    assertThat(f[1]).as(row).isEqualTo(String.valueOf(300_000 / 17 * 17));
                    assertThat(f[2]).as(row + ": one rendering").endsWith(" 1");
                }
            }
        }
        // busybox cat uses sendfile (with no stat first), falling back to read(2); coreutils cat uses read(2)
        for (String cat : List.of("busybox cat", "cat")) {
            sh("stat " + mnt + "/whoami > /dev/null");
            String out = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "4321", "--clear-groups", "sh", "-c",
                    "echo $$; exec " + cat + " " + mnt + "/whoami").requireSuccess().out();
            String[] lines = out.split("\\n");
            assertThat(lines).as(cat).hasSize(2);
            assertThat(lines[1]).as(cat).isEqualTo("pid=" + lines[0] + " uid=1234 gid=4321");
        }
        // a file that is the same for everyone is served through the page cache as any file
        String fixed = Run.cmd(T, "python3", "-c", "import os, tempfile; fd = os.open('" + mnt + "/hello', os.O_RDONLY); "
                + "out = tempfile.TemporaryFile(); print(os.sendfile(out.fileno(), fd, None, 100))").requireSuccess().out();
        assertThat(fixed).isEqualTo("6\n");
    }

    @Test
    void statShowsTheLengthOfTheCallersOwnRendering() {
        for (String who : List.of("0", "1234")) {
            String out = Run.cmd(T, "setpriv", "--reuid", who, "--regid", who, "--clear-groups", "sh", "-c",
                    "echo $$; exec stat -c %s " + mnt + "/whoami").requireSuccess().out();
            String[] lines = out.split("\n");
            assertThat(Integer.parseInt(lines[1])).isEqualTo(("pid=" + lines[0] + " uid=" + who + " gid=" + who + "\n").length());
        }
        assertThat(sh("stat -c %s " + mnt + "/hello").trim()).isEqualTo("6");
    }

    @Test
    void modesAreEnforcedForOpenAndAccess() {
        assertThat(sh("stat -c '%a %U %G' " + mnt + "/root-only " + mnt + "/hello " + mnt + "/a")).isEqualTo("400 root root\n444 root root\n555 root root\n");
        assertThat(sh("cat " + mnt + "/root-only")).isEqualTo("secret\n");
        Run.Result user = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups", "cat", mnt + "/root-only");
        assertThat(user.exit()).isNotZero();
        assertThat(user.err()).contains("Permission denied");
        String access = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups", "/usr/bin/python3", "-c",
                "import os, sys; m = sys.argv[1]; print(os.access(m + '/root-only', os.R_OK), os.access(m + '/hello', os.R_OK), "
                        + "os.access(m + '/hello', os.X_OK), os.access(m + '/a', os.X_OK))", mnt.toString()).requireSuccess().out();
        assertThat(access).isEqualTo("False True False True\n");
    }

    @Test
    void aViewThatThrowsAnythingFailsThatReadOnly() {
        for (String f : List.of("error", "assertion", "stack", "runtime")) {
            Run.Result r = Run.cmd(T, "cat", mnt + "/broken/" + f);
            assertThat(r.exit()).as(f).isNotZero();
            assertThat(r.err()).as(f).contains("Input/output error");
            assertThat(sh("cat " + mnt + "/hello")).as("after " + f).isEqualTo("hello\n");
        }
        assertThat(sh("cat " + mnt + "/whoami")).startsWith("pid=");
    }

    /** A reader holding many handles, each read by one byte, cannot grow the daemon past the handle budget. */
    @Test
    void handlesHeldOpenStayWithinTheHandleBudget() {
        String py = """
                import os, sys
                fds = [os.open(sys.argv[1], os.O_RDONLY) for _ in range(200)]
                firsts = [os.read(fd, 1) for fd in fds]
                print('open', len(fds), flush=True)
                sys.stdin.readline()
                # the rest of each: continued from a kept rendering, or (dropped) a fresh one; whole lines either way
                bad = 0
                for fd, first in zip(fds, firsts):
                    rest = b''
                    while (c := os.read(fd, 65536)): rest += c
                    if len(first + rest) != 300000 // 17 * 17: bad += 1
                print('bad', bad)
                """;
        try {
            Process p = new ProcessBuilder("python3", "-c", py, mnt + "/stamped").redirectErrorStream(true).start();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("open 200");
            // 200 renderings of 300 KB would be 60 MB; the budget is 8 MiB
            assertThat(tree.renderingBytes()).isLessThanOrEqualTo(8L << 20).isGreaterThan(1L << 20);
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            assertThat(in.readLine()).isEqualTo("bad 0");
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // the kernel releases the handles of an exited process in the background
            for (int i = 0; i < 100 && tree.openRenderings() > 0; i++) Thread.sleep(50);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(tree.openRenderings()).isZero();
    }

    @Test
    void aFileReadInSmallChunksComesFromOneRendering() {
        String out = sh("dd if=" + mnt + "/stamped bs=1000 status=none | sort -u | wc -l");
        assertThat(out.trim()).isEqualTo("1");
        assertThat(sh("wc -c < " + mnt + "/stamped").trim()).isEqualTo(String.valueOf(300_000 / 17 * 17));
    }

    @Test
    void eightConcurrentReadersForSecondsSeeNoErrorNoShortReadAndNoMixedContent() throws IOException {
        Path expected = tmp.resolve("big.expected");
        Files.write(expected, BIG);
        String py = """
                import os, sys, time, random
                mnt, big = sys.argv[1], open(sys.argv[2], 'rb').read()
                r = random.Random(os.getpid()); end = time.time() + 4; n = 0
                def whole(p):
                    fd = os.open(p, os.O_RDONLY)
                    try:
                        chunks = []
                        while True:
                            c = os.read(fd, r.choice([100, 4096, 65536]))
                            if not c: return b''.join(chunks)
                            chunks.append(c)
                    finally: os.close(fd)
                while time.time() < end:
                    k = r.randrange(5)
                    if k == 0: ok = whole(mnt + '/hello') == b'hello\\n'
                    elif k == 1:
                        i = r.randrange(1000); ok = whole(mnt + '/many/f%04d' % i) == b'file %d\\n' % i
                    elif k == 2: ok = whole(mnt + '/whoami') == b'pid=%d uid=0 gid=0\\n' % os.getpid()
                    elif k == 3:
                        s = whole(mnt + '/stamped'); ok = len(s) > 0 and len(set(s.split(b'\\n'))) == 2
                    else:
                        fd = os.open(mnt + '/big', os.O_RDONLY); off = r.randrange(len(big)); ok = os.pread(fd, 8192, off) == big[off:off + 8192]; os.close(fd)
                    if not ok: sys.exit('bad content, case %d' % k)
                    n += 1
                print(n)
                """;
        List<Process> readers = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) readers.add(Run.start(Map.of(), "python3", "-c", py, mnt.toString(), expected.toString()));
            long total = 0;
            for (Process p : readers) total += Long.parseLong(Run.await(p, T, "reader").requireSuccess().out().trim());
            // throughput is the benchmark's business; here every reader must have done real work
            assertThat(total).as("reads done by 8 readers in 4 s").isGreaterThan(80);
        } finally {
            readers.forEach(Run::kill);
        }
    }

    @Test
    void everyChangeIsRefusedAndTheTreeStaysAsItWas() {
        String before = sh("cd " + mnt + " && ls -lR --time-style=+ . | md5sum");
        String py = """
                import os, sys, errno
                m = sys.argv[1]
                def attempt(name, f):
                    try: f(); print(name, 'succeeded')
                    except OSError as e: print(name, errno.errorcode[e.errno])
                attempt('write', lambda: os.open(m + '/hello', os.O_WRONLY))
                attempt('truncate', lambda: os.truncate(m + '/hello', 0))
                attempt('create', lambda: os.open(m + '/new', os.O_WRONLY | os.O_CREAT, 0o644))
                attempt('mkdir', lambda: os.mkdir(m + '/d'))
                attempt('unlink', lambda: os.unlink(m + '/hello'))
                attempt('rmdir', lambda: os.rmdir(m + '/a/empty'))
                attempt('rename', lambda: os.rename(m + '/hello', m + '/hello2'))
                attempt('chmod', lambda: os.chmod(m + '/hello', 0o777))
                attempt('chown', lambda: os.chown(m + '/hello', 1, 1))
                attempt('utime', lambda: os.utime(m + '/hello', (1, 1)))
                attempt('symlink', lambda: os.symlink(m + '/hello', m + '/link'))
                attempt('link', lambda: os.link(m + '/hello', m + '/hard'))
                attempt('mknod', lambda: os.mkfifo(m + '/fifo'))
                attempt('setxattr', lambda: os.setxattr(m + '/hello', 'user.x', b'1'))
                """;
        String out = Run.cmd(T, "python3", "-c", py, mnt.toString()).requireSuccess().out();
        assertThat(out.lines()).hasSize(14).allSatisfy(l -> assertThat(l).endsWith(" EROFS"));
        // the shell tools say the same
        for (String cmd : List.of("echo x > %s/hello", "touch %s/hello", "touch %s/new", "mkdir %s/d", "rm -f %s/hello",
                "mv %s/hello %s/x", "chmod 777 %s/hello", "ln -s %s/hello %s/l")) {
            Run.Result r = Run.cmd(T, "sh", "-c", cmd.replace("%s", mnt.toString()));
            assertThat(r.exit()).as(cmd).isNotZero();
            assertThat(r.err()).as(cmd).contains("Read-only file system");
        }
        // an unprivileged user is refused by the permission bits before we are asked
        Run.Result user = Run.cmd(T, "setpriv", "--reuid", "1234", "--regid", "1234", "--clear-groups",
                "sh", "-c", "echo x > " + mnt + "/hello");
        assertThat(user.err()).containsAnyOf("Permission denied", "Read-only file system");
        assertThat(sh("cd " + mnt + " && ls -lR --time-style=+ . | md5sum")).isEqualTo(before);
        assertThat(sh("cat " + mnt + "/hello")).isEqualTo("hello\n");
    }

    @Test
    void closingWhileReadersAreActiveLeavesNoHungProcessAndNoMount() throws Exception {
        List<Process> readers = new ArrayList<>();
        try {
            List<Path> flags = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                flags.add(tmp.resolve("reading" + i));
                readers.add(ReadUntilError.start(mnt.resolve("whoami"), flags.getLast()));
            }
            ReadUntilError.awaitReading(flags);
            long t0 = System.nanoTime();
            session.close();
            for (Process p : readers) {
                String out = Run.await(p, Duration.ofSeconds(10), "reader after unmount").requireSuccess().out().trim();
                assertThat(out).matches("[1-9][0-9]* (ENOTCONN|ECONNABORTED|ENOENT|ENODEV)");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(MountTable.at(mnt)).isEmpty();
        } finally {
            readers.forEach(Run::kill);
        }
    }

    @Test
    void aSecondMountOnALiveMountPointIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> FuseSession.mount(mnt, testTree(), FuseConfig.defaults("jlxcfs-test"), false))
                .isInstanceOf(MountPointException.class)
                .hasMessageContaining(mnt + " already holds a live fuse.jlxcfs-test mount")
                .hasMessageContaining("--replace");
        assertThat(sh("cat " + mnt + "/hello")).as("the live mount is untouched").isEqualTo("hello\n");
    }

    @Test
    void aForeignFilesystemAtTheMountPointIsNeverReplaced() throws IOException {
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        sh("mount -t tmpfs jlxcfs-test-tmpfs " + other);
        try {
            assertThatThrownBy(() -> FuseSession.mount(other, testTree(), FuseConfig.defaults("jlxcfs-test"), true))
                    .isInstanceOf(MountPointException.class)
                    .hasMessageContaining("already has a tmpfs mount")
                    .hasMessageContaining("never mounts over another filesystem");
        } finally {
            sh("umount " + other);
        }
    }

    @Test
    void aDeadMountIsReportedAndReplacedOnRequest() throws Exception {
        session.close();
        session = null;
        // A connection whose server is gone: mount with an fd, then close it.
        int fd = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
        Libc.mount("jlxcfs-test", mnt.toString(), "fuse.jlxcfs-test", Libc.MS_NOSUID | Libc.MS_NODEV,
                "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0");
        Libc.close(fd);
        try {
            assertThat(Run.cmd(T, "ls", mnt.toString()).err()).contains("Transport endpoint is not connected");
            assertThatThrownBy(() -> FuseSession.mount(mnt, testTree(), FuseConfig.defaults("jlxcfs-test"), false))
                    .isInstanceOf(MountPointException.class)
                    .hasMessageContaining("already holds a dead fuse.jlxcfs-test mount")
                    .hasMessageContaining("umount -l " + mnt);
            session = FuseSession.mount(mnt, testTree(), FuseConfig.defaults("jlxcfs-test"), true);
            session.awaitInit(Duration.ofSeconds(10));
            assertThat(sh("cat " + mnt + "/hello")).isEqualTo("hello\n");
        } finally {
            if (session == null) Libc.umount2(mnt.toString(), Libc.MNT_DETACH);
        }
    }

    @Test
    void anUnmountFromOutsideEndsTheSession() throws Exception {
        sh("umount " + mnt);
        assertThat(session.awaitEnd()).as("ended from outside").isTrue();
    }
}
