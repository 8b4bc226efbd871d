package org.jlxcfs.view.cgroup;

import org.jlxcfs.view.host.Host;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The tasks of a cgroup subtree: the pids listed in {@code cgroup.procs} of the cgroup and of
 * every descendant (no depth limit), and the scheduler state of each of their threads from
 * {@code /proc/PID/stat} and {@code /proc/PID/task/TID/stat}.
 *
 * <p>Built for a sampler that scans hundreds of containers every few seconds: a scanner keeps its
 * pid array and read buffer between scans, reads {@code stat} (cheap for the kernel to generate,
 * unlike {@code status}), reads a single-threaded process with one file, and lists a cgroup
 * directory only when its link count says it has children. One instance per thread; not
 * thread-safe.
 *
 * <p>Races are normal (tasks exit, cgroups are removed while being read): a task or sub-cgroup
 * that vanishes mid-scan is simply not counted; only the disappearance of the scanned cgroup
 * itself is reported.
 */
public final class CgroupTasks {
    /**
     * Task counts of a cgroup subtree.
     *
     * @param processes thread groups (pids in cgroup.procs)
     * @param threads   tasks of every state, zombies included (the kernel's nr_threads)
     * @param running   tasks in state R (runnable)
     * @param blocked   tasks in state D (uninterruptible sleep), which the load average counts.
     *                  Note: the kernel's procs_blocked in /proc/stat counts tasks in iowait, a
     *                  subset of D.
     */
    public record Counts(int processes, int threads, int running, int blocked) {
        /** What the load average counts: runnable plus uninterruptible. */
        public int active() {
            return running + blocked;
        }
    }

    /** Larger than any pid (PID_MAX_LIMIT is 2^22): bigger numbers in cgroup.procs are garbage. */
    private static final long PID_LIMIT = 1L << 30;

    private final String procDir;
    /** Reused for every read (stat lines are ~300 bytes, status ~1.5 KiB). */
    private final byte[] buf = new byte[16384];
    private final StringBuilder pathBuilder = new StringBuilder(64);
    private int[] pids = new int[64];
    private int pidCount;

    // results of the last scanProcess
    private int threads, running, blocked;
    private long startTime;

    /** @param procRoot the host's /proc (host pid namespace) */
    public CgroupTasks(Path procRoot) {
        this.procDir = procRoot.toString();
    }

    public CgroupTasks(Host host) {
        this(host.proc());
    }

    /** Counts the tasks of a cgroup's subtree; empty when the cgroup no longer exists. */
    public static Optional<Counts> count(Host host, Cgroup cgroup) {
        return new CgroupTasks(host).count(cgroup.directory());
    }

    /** Counts the tasks below a cgroup directory; empty when the directory no longer exists. */
    public Optional<Counts> count(Path cgroupDir) {
        if (!scanPids(cgroupDir)) return Optional.empty();
        int procs = 0, th = 0, r = 0, d = 0;
        for (int i = 0; i < pidCount; i++) {
            if (!scanProcess(pids[i])) continue;
            procs++;
            th += threads;
            r += running;
            d += blocked;
        }
        return Optional.of(new Counts(procs, th, r, d));
    }

    // ---- pids of a subtree ----

    /**
     * Collects the pids of the cgroup directory and all its descendants, sorted and without
     * duplicates (v2 threaded cgroups may list a process more than once), available through
     * {@link #pidCount()} and {@link #pid(int)}. False when the directory does not exist.
     */
    public boolean scanPids(Path cgroupDir) {
        pidCount = 0;
        if (!collect(cgroupDir)) return false;
        Arrays.sort(pids, 0, pidCount);
        int unique = 0;
        for (int i = 0; i < pidCount; i++) {
            if (unique == 0 || pids[unique - 1] != pids[i]) pids[unique++] = pids[i];
        }
        pidCount = unique;
        return true;
    }

    public int pidCount() {
        return pidCount;
    }

    public int pid(int index) {
        if (index < 0 || index >= pidCount) throw new IndexOutOfBoundsException(index);
        return pids[index];
    }

    private boolean collect(Path dir) {
        int links;
        try {
            links = (Integer) Files.getAttribute(dir, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            links = 0; // unknown: list the directory
        }
        readPids(dir.resolve("cgroup.procs"));
        // kernfs (like ext4 and tmpfs) gives a directory 2 + its number of subdirectories links,
        // so a leaf cgroup, the common case, costs no directory listing.
        if (links == 2) return true;
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) collect(child);
            }
        } catch (IOException | DirectoryIteratorException e) {
            // removed while being listed: its tasks are gone too
        }
        return true;
    }

    private void readPids(Path file) {
        try (FileInputStream in = new FileInputStream(file.toString())) {
            long value = -1; // -1: no digits pending; a number may span two reads
            while (true) {
                int n = in.read(buf, 0, buf.length);
                if (n < 0) break;
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b >= '0' && b <= '9') {
                        value = value < 0 ? b - '0' : Math.min(value * 10 + (b - '0'), PID_LIMIT);
                    } else if (value >= 0) {
                        addPid(value);
                        value = -1;
                    }
                }
            }
            if (value >= 0) addPid(value);
        } catch (IOException e) {
            // missing (cgroup removed) or unreadable: no pids from this cgroup
        }
    }

    private void addPid(long value) {
        if (value <= 0 || value >= PID_LIMIT) return;
        if (pidCount == pids.length) pids = Arrays.copyOf(pids, pids.length * 2);
        pids[pidCount++] = (int) value;
    }

    // ---- threads of a process ----

    /**
     * Reads the state of every thread of a process, available through {@link #threads()},
     * {@link #running()}, {@link #blocked()} and {@link #startTime()}. False when the process is
     * gone. A process whose stat says it has one thread costs one file; others also cost the
     * listing of /proc/PID/task and one stat per further thread.
     */
    public boolean scanProcess(int pid) {
        threads = running = blocked = 0;
        startTime = -1;
        int n = read(path(pid, -1, "stat"));
        if (n <= 0) return false;
        int close = lastParen(n);
        if (close < 0 || close + 2 >= n) return false;
        // /proc/PID/stat shows the group leader's state and the thread count (field 20)
        long numThreads = field(close, n, 20);
        startTime = field(close, n, 22);
        countState(buf[close + 2]);
        if (numThreads <= 1) return true;
        String[] tids = new File(path(pid, -1, "task")).list();
        if (tids == null) return true; // exited meanwhile: keep what we read
        for (String t : tids) {
            int tid = parseTid(t);
            if (tid <= 0 || tid == pid) continue;
            int m = read(path(pid, tid, "stat"));
            if (m <= 0) continue;
            int c = lastParen(m);
            if (c >= 0 && c + 2 < m) countState(buf[c + 2]);
        }
        return true;
    }

    public int threads() {
        return threads;
    }

    public int running() {
        return running;
    }

    public int blocked() {
        return blocked;
    }

    /** The start time (clock ticks after boot) of the last scanned process, -1 if unknown. */
    public long startTime() {
        return startTime;
    }

    private void countState(byte state) {
        threads++;
        if (state == 'R') running++;
        else if (state == 'D') blocked++;
    }

    // ---- pid namespaces ----

    /**
     * The pid of a process in a pid namespace: entry {@code level} of the NSpid line of
     * /proc/PID/status (0 = the namespace of this /proc; -1 = the process's innermost). -1 when
     * the process is gone or is not visible at that level (it lives in an ancestor namespace).
     * Kernels before 4.1 have no NSpid line: the pid itself at level 0 (or -1), else -1.
     */
    public int nsPid(int pid, int level) {
        int n = read(path(pid, -1, "status"));
        if (n <= 0) return -1;
        int at = find(n, "\nNSpid:");
        if (at < 0) return level <= 0 ? pid : -1;
        int i = at + "\nNSpid:".length();
        int index = 0, last = -1;
        while (i < n) {
            while (i < n && (buf[i] == '\t' || buf[i] == ' ')) i++;
            if (i >= n || buf[i] < '0' || buf[i] > '9') break;
            long v = 0;
            while (i < n && buf[i] >= '0' && buf[i] <= '9') v = Math.min(v * 10 + (buf[i++] - '0'), PID_LIMIT);
            if (index == level) return (int) v;
            last = (int) v;
            index++;
        }
        return level < 0 ? last : -1;
    }

    /**
     * How deep a process's pid namespace is below the namespace of this /proc (the number of
     * NSpid entries minus one): the level to pass to {@link #nsPid} for the processes of a
     * container whose init this is. -1 when unknown.
     */
    public int nsLevel(int pid) {
        int n = read(path(pid, -1, "status"));
        if (n <= 0) return -1;
        int at = find(n, "\nNSpid:");
        if (at < 0) return 0; // kernel without pid namespace info: assume one namespace
        int entries = 0;
        boolean inNumber = false;
        for (int i = at + "\nNSpid:".length(); i < n && buf[i] != '\n'; i++) {
            boolean digit = buf[i] >= '0' && buf[i] <= '9';
            if (digit && !inNumber) entries++;
            inNumber = digit;
        }
        return entries - 1;
    }

    // ---- reading ----

    private String path(int pid, int tid, String file) {
        pathBuilder.setLength(0);
        pathBuilder.append(procDir).append('/').append(pid).append('/');
        if (tid > 0) pathBuilder.append("task/").append(tid).append('/');
        return pathBuilder.append(file).toString();
    }

    /**
     * Reads the start of a file into the buffer; the byte count, or -1 when it cannot be read
     * (exited tasks give ENOENT or ESRCH). One read: procfs returns a whole stat or status file
     * in one go when the buffer is large enough.
     */
    private int read(String file) {
        // FileInputStream: half the garbage of a FileChannel per open
        try (FileInputStream in = new FileInputStream(file)) {
            return in.read(buf, 0, buf.length);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The ')' closing the command name: the last one, as the name itself may hold ')'. */
    private int lastParen(int n) {
        for (int i = n - 1; i >= 0; i--) if (buf[i] == ')') return i;
        return -1;
    }

    /** Field {@code number} (1-based as in proc(5); the state is field 3) of a stat line, or -1. */
    private long field(int close, int n, int number) {
        int field = 3;
        for (int i = close + 2; i < n; i++) {
            if (buf[i] != ' ') continue;
            if (++field == number) {
                long v = -1;
                for (int j = i + 1; j < n && buf[j] >= '0' && buf[j] <= '9'; j++) {
                    v = (v < 0 ? 0 : v * 10) + (buf[j] - '0');
                    if (v > Long.MAX_VALUE / 10) return -1;
                }
                return v;
            }
        }
        return -1;
    }

    private int find(int n, String needle) {
        // status starts with "Name:", so every line we look for follows a newline
        outer:
        for (int i = 0; i + needle.length() <= n; i++) {
            for (int k = 0; k < needle.length(); k++) {
                if (buf[i + k] != needle.charAt(k)) continue outer;
            }
            return i;
        }
        return -1;
    }

    private static int parseTid(String s) {
        int v = 0;
        if (s.isEmpty() || s.length() > 9) return -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
