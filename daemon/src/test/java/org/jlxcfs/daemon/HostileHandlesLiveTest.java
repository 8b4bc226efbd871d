package org.jlxcfs.daemon;

import org.jlxcfs.fuse.testing.RequiresRootAndFuse;
import org.jlxcfs.fuse.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One container cannot take the daemon (and so every other container's files) down by holding
 * many handles: an unprivileged process in one container opens 50,000 handles on cpuinfo, stat
 * and meminfo and reads a byte from each, and holds them, while another container reads meminfo
 * in a loop. The daemon runs with bin/jlxcfs's JVM options (its small heap, exit on
 * OutOfMemoryError), so that what it can hold is what it holds in production.
 */
@RequiresRootAndFuse
class HostileHandlesLiveTest {
    private static final int HANDLES = 50_000;
    /**
     * The bound on the daemon's memory under any load: its heap is capped (-Xmx32m, and a flood of
     * handles fills it) and open handles share one 4 MiB rendering budget, so the number of
     * handles does not move it; the rest is the JVM's own (class data, code, thread stacks: 70 to
     * 90 MiB resident when idle here). Measured peaks under this attack: 114 to 122 MiB.
     */
    private static final long RSS_LIMIT_KIB = 144 * 1024;
    private static final double READ_SECONDS = 3;

    /**
     * As root raises its open-file limit (up to the hard limit where it lacks CAP_SYS_RESOURCE, as
     * here: then the handles are split over several processes), becomes uid 65534, and forks
     * holders that open and hold their share; all close when told.
     */
    private static final String HOLDER = """
            import os, resource, sys, time
            n, held, release = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            files = ["/proc/cpuinfo", "/proc/stat", "/proc/meminfo"]
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
            except (ValueError, OSError):
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            per = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 100
            os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
            children = []
            for k in range(0, n, per):
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    fds, errors, first = [], 0, ""
                    for i in range(k, min(n, k + per)):
                        try:
                            fd = os.open(files[i % 3], os.O_RDONLY)
                            fds.append(fd)
                            if len(os.read(fd, 1)) != 1: raise OSError(0, "read gave no byte")
                        except OSError as e:
                            errors += 1; first = first or "%s: %s" % (files[i % 3], e)
                            if errors > 100: break
                    os.write(w, ("%d %d %s" % (len(fds), errors, first)).encode()); os.close(w)
                    while not os.path.exists(release): time.sleep(0.05)
                    for fd in fds: os.close(fd)
                    os._exit(0)
                os.close(w)
                children.append((pid, r))
            opened = errors = 0; first = ""
            for pid, r in children:
                f = os.read(r, 4096).decode().split(" ", 2); os.close(r)
                opened += int(f[0]); errors += int(f[1]); first = first or f[2]
            print("uid", os.getuid(), "opened", opened, "handles in", len(children), "processes,", errors, "errors", first, flush=True)
            open(held, "w").close()
            for pid, r in children: os.waitpid(pid, 0)
            print("closed", opened, flush=True)
            """;

    /** Opens, reads whole and closes meminfo for some seconds, as fast as it can; prints "OPS ERRORS FIRST-ERROR". */
    private static final String READER = """
            import os, sys, time
            path, secs = sys.argv[1], float(sys.argv[2])
            ops = errors = 0; first = ""
            end = time.monotonic() + secs
            while time.monotonic() < end:
                try:
                    fd = os.open(path, os.O_RDONLY)
                    try: b = os.read(fd, 65536)
                    finally: os.close(fd)
                    if not b.startswith(b"MemTotal:") or not b.endswith(b"\\n"): raise OSError(0, "content %r" % b[:40])
                    ops += 1
                except OSError as e:
                    errors += 1; first = first or str(e)
            print(ops, errors, first)
            """;

    static Path tmp;
    static DaemonProcess daemon;

    @BeforeAll
    static void setUp() throws Exception {
        Run.requireProgram("/usr/bin/python3", "apt-get install python3");
        tmp = Run.sharedTempDir("jlxcfs-hostile");
        Files.writeString(tmp.resolve("holder.py"), HOLDER);
        Files.writeString(tmp.resolve("reader.py"), READER);
        // the holder signals through files it creates as uid 65534
        Files.setPosixFilePermissions(Files.createDirectory(tmp.resolve("flags")), PosixFilePermissions.fromString("rwxrwxrwx"));
        System.out.println("daemon JVM options (from bin/jlxcfs): " + DaemonProcess.shippedJvmOptions());
        daemon = DaemonProcess.startAsShipped(tmp.resolve("mnt"), tmp.resolve("daemon.log")).awaitServing("proc/meminfo");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            if (daemon.process.isAlive()) {
                daemon.signal("TERM");
                daemon.awaitExit(Duration.ofSeconds(20));
            }
            daemon.close();
        }
        Run.deleteTree(tmp);
    }

    /** What the victim's reader measured. */
    private record Reads(long ops, long errors, String firstError) {
        double perSecond() {
            return ops / READ_SECONDS;
        }
    }

    private static Reads read(LiveContainer c) {
        return read(c, READ_SECONDS);
    }

    private static Reads read(LiveContainer c, double seconds) {
        String out = c.exec("exec /usr/bin/python3 " + tmp.resolve("reader.py") + " /proc/meminfo " + seconds).requireSuccess().out();
        String[] f = out.strip().split(" ", 3);
        return new Reads(Long.parseLong(f[0]), Long.parseLong(f[1]), f.length > 2 ? f[2] : "");
    }

    private static long rssKib(String field) {
        try {
            Matcher m = Pattern.compile(field + ":\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/" + daemon.process.pid() + "/status")));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException e) {
            return -1; // gone
        }
    }

    private void requireAlive(String when) {
        if (!daemon.process.isAlive()) {
            String log = daemon.log();
            throw new AssertionError("the daemon died " + when + " (exit " + daemon.process.exitValue() + "); end of its log:\n"
                    + log.substring(Math.max(0, log.length() - 3000)));
        }
    }

    @Test
    void fiftyThousandHeldHandlesInOneContainerNeitherKillTheDaemonNorStopAnotherContainersReads() throws Exception {
        Path held = tmp.resolve("flags/held"), release = tmp.resolve("flags/release");
        AtomicLong maxRss = new AtomicLong(rssKib("VmRSS"));
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (sampling.get()) {
                maxRss.accumulateAndGet(rssKib("VmRSS"), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (LiveContainer victim = new LiveContainer(0, 0, null).start(daemon.mountPoint);
             LiveContainer hostile = new LiveContainer(0, 0, null).start(daemon.mountPoint)) {
            read(victim, 1); // warms the daemon up (JIT), so that "before" is not slower for that alone
            Reads before = read(victim);
            long rssBefore = rssKib("VmRSS");
            System.out.printf("before: reader %d ops in %.0f s (%.0f/s), %d errors; daemon VmRSS %d KiB%n",
                    before.ops(), READ_SECONDS, before.perSecond(), before.errors(), rssBefore);
            assertThat(before.errors()).as("reads before the attack: " + before.firstError()).isZero();

            long t0 = System.nanoTime();
            Process holder = hostile.spawn("exec /usr/bin/python3 " + tmp.resolve("holder.py") + " " + HANDLES + " " + held + " " + release);
            while (!Files.exists(held) && holder.isAlive() && daemon.process.isAlive()
                    && System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos()) {
                Thread.sleep(50);
            }
            requireAlive("while " + HANDLES + " handles were opened by uid 65534 in one container");
            if (!Files.exists(held)) {
                boolean alive = holder.isAlive();
                Run.kill(holder);
                Run.Result r = Run.await(holder, Duration.ofSeconds(10), "holder");
                throw new AssertionError("the holder did not hold its handles within 60 s (it "
                        + (alive ? "was still opening" : "exited") + "): " + r.out() + r.err());
            }
            System.out.printf("holder took %.1f s: %s", (System.nanoTime() - t0) / 1e9,
                    new String(holder.getInputStream().readNBytes(holder.getInputStream().available())));

            Reads during = read(victim);
            requireAlive("while the handles were held");
            long rssHeld = rssKib("VmRSS");
            System.out.printf("while %d handles are held: reader %d ops (%.0f/s, %.0f%% of before), %d errors; daemon VmRSS %d KiB%n",
                    HANDLES, during.ops(), during.perSecond(), 100.0 * during.perSecond() / Math.max(1, before.perSecond()),
                    during.errors(), rssHeld);

            Files.createFile(release);
            Run.Result closed = Run.await(holder, Duration.ofSeconds(60), "holder");
            System.out.print("holder: " + closed.out() + closed.err());
            requireAlive("after the handles were closed");
            Reads after = read(victim);
            System.out.printf("after closing: reader %d ops (%.0f/s), %d errors; daemon VmRSS %d KiB, peak sampled %d KiB, VmHWM %d KiB%n",
                    after.ops(), after.perSecond(), after.errors(), rssKib("VmRSS"), maxRss.get(), rssKib("VmHWM"));

            assertThat(during.errors()).as("the other container's reads while the handles are held: " + during.firstError()).isZero();
            assertThat(during.ops()).as("the other container's reads while the handles are held").isPositive();
            assertThat(after.errors()).as("reads after the handles are closed: " + after.firstError()).isZero();
            assertThat(hostile.exec("head -c 9 /proc/cpuinfo; head -1 /proc/meminfo").requireSuccess().out())
                    .as("the hostile container is still served after closing its handles").startsWith("processor").contains("MemTotal:");
        } finally {
            sampling.set(false);
            sampler.join();
            System.out.println("daemon peak VmRSS sampled: " + maxRss.get() + " KiB (limit " + RSS_LIMIT_KIB + ")");
        }
        requireAlive("at the end");
        assertThat(maxRss.get()).as("daemon VmRSS peak (KiB) during the test").isLessThanOrEqualTo(RSS_LIMIT_KIB);
    }

    /**
     * The daemon, held by a keeper as bin/jlxcfs sets it up, is SIGKILLed three times while one
     * container holds 50,000 handles and another reads at full speed: the keeper starts it again
     * each time, the reader sees no error, and the hostile container's handles are still served.
     */
    @Test
    void aDaemonKilledWhileTheHandlesAreHeldComesBackAndNoReadFails() throws Exception {
        Path mnt = tmp.resolve("mnt-kill"), socket = tmp.resolve("keeper-kill/keeper.sock");
        Path held = tmp.resolve("flags/held-kill"), release = tmp.resolve("flags/release-kill");
        Process keeper = DaemonProcess.keeper(socket, tmp.resolve("keeper-kill.log"));
        DaemonProcess first = null;
        try {
            first = DaemonProcess.startAsShipped(mnt, tmp.resolve("daemon-kill.log"), socket).awaitServing("proc/meminfo");
            try (LiveContainer victim = new LiveContainer(0, 0, null).start(mnt);
                 LiveContainer hostile = new LiveContainer(0, 0, null).start(mnt)) {
                Process holder = hostile.spawn("exec /usr/bin/python3 " + tmp.resolve("holder.py") + " " + HANDLES + " " + held + " " + release);
                long t0 = System.nanoTime();
                while (!Files.exists(held) && holder.isAlive() && System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos()) {
                    Thread.sleep(50);
                }
                assertThat(held).as("the holder holds its handles").exists();
                Process reader = victim.spawn("exec /usr/bin/python3 " + tmp.resolve("reader.py") + " /proc/meminfo 25");
                for (int kill = 0; kill < 3; kill++) {
                    Thread.sleep(4000);
                    DaemonProcess.killAll(mnt.toString()); // the daemon serving now, whichever the keeper started
                }
                Run.Result r = Run.await(reader, Duration.ofSeconds(120), "reader");
                String keeperLog = Files.readString(tmp.resolve("keeper-kill.log"));
                assertThat(keeperLog.split("started the daemon of ", -1)).as("the keeper's restarts:\n" + keeperLog).hasSizeGreaterThan(3);
                String[] f = r.requireSuccess().out().strip().split(" ", 3);
                System.out.printf("3 SIGKILLs of the daemon with %d handles held: reader %s ops in 25 s, %s errors %s%n",
                        HANDLES, f[0], f[1], f.length > 2 ? f[2] : "");
                assertThat(Long.parseLong(f[1])).as("the other container's failed reads: " + (f.length > 2 ? f[2] : "")).isZero();
                assertThat(Long.parseLong(f[0])).as("the other container's reads").isPositive();
                Files.createFile(release);
                Run.Result closed = Run.await(holder, Duration.ofSeconds(60), "holder");
                assertThat(closed.out()).contains("closed");
                assertThat(hostile.exec("head -1 /proc/meminfo").requireSuccess().out()).startsWith("MemTotal:");
            }
        } finally {
            // the keeper first: killed after the daemon, it could have started a new one, which (finding
            // no keeper) starts a keeper of its own and mounts again after this test has gone
            if (keeper.isAlive()) keeper.destroyForcibly().waitFor();
            for (int round = 0; round < 5; round++) {
                DaemonProcess.killAll(socket.getParent().toString()); // daemons and keepers naming this socket
                Thread.sleep(200);
            }
            DaemonProcess.killKeeper(socket);
            if (first != null) first.close();
            if (org.jlxcfs.fuse.MountTable.at(mnt).isPresent()) Run.cmd(Duration.ofSeconds(10), "umount", "-l", mnt.toString());
        }
    }
}
