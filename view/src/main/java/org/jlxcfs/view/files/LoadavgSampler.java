package org.jlxcfs.view.files;

import org.jlxcfs.view.cgroup.Cgroup;
import org.jlxcfs.view.cgroup.CgroupTasks;
import org.jlxcfs.view.host.Host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Per-container load averages, computed the way the kernel computes the host's: every 5 seconds
 * the number of active tasks (state R plus state D) is folded into three exponentially decaying
 * averages in 11-bit fixed point, with the kernel's constants and rounding (calc_load).
 *
 * <p>A container is sampled from its first read of /proc/loadavg on (the key is its cgroup in
 * the cpu hierarchy on v1, in the unified hierarchy on v2). The first read returns the counts of
 * that moment with averages 0.00, as a freshly booted machine shows. A container is dropped when
 * its cgroup is gone or when it has not been read for 10 minutes; a cgroup that still exists
 * but has no tasks stays and decays to 0.
 *
 * <p>One daemon thread samples all containers. Its cadence is wall time (monotonic clock, fixed
 * rate): a pass that runs late, or a stall, folds the missed intervals in with the current count
 * (as the kernel does after idle ticks), so the time constants stay right whatever a pass costs.
 * A pass reads, per container, the cgroup.procs files of its subtree and one stat file per
 * process (plus one per further thread of multi-threaded processes); /proc/PID/status (for the
 * namespace pid) is read only for processes not seen in the previous pass.
 *
 * <p>"last pid" (field 5) is the largest pid of the container's processes as the container's own
 * pid namespace numbers them (the NSpid entry at its init's level), not a host pid. The kernel
 * shows the last pid allocated in the namespace, which may belong to an exited task; the largest
 * living pid is the closest a sampler can get.
 */
public final class LoadavgSampler implements AutoCloseable {
    static final int FSHIFT = 11;
    static final long FIXED_1 = 1L << FSHIFT;
    /** exp(-5 s / 1 min), exp(-5 s / 5 min), exp(-5 s / 15 min) in fixed point (kernel sched/loadavg.h). */
    static final long EXP_1 = 1884, EXP_5 = 2014, EXP_15 = 2037;

    public static final Duration INTERVAL = Duration.ofSeconds(5);
    public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(10);
    /** Missed intervals folded in at most: after ~85 minutes the averages have converged anyway. */
    private static final int MAX_TICKS = 1024;
    private static final System.Logger LOG = System.getLogger(LoadavgSampler.class.getName());

    /**
     * One container's /proc/loadavg values.
     *
     * @param avg1     1-minute average, fixed point (FSHIFT bits)
     * @param running  tasks in state R at the last sample
     * @param total    tasks (threads) of the container at the last sample
     * @param lastPid  largest pid of its processes in its own pid namespace, 0 if none
     */
    public record Load(long avg1, long avg5, long avg15, int running, int total, int lastPid) {
        /** The file's line, as the kernel prints it: two decimals, rounded to the nearest 0.005. */
        public String format() {
            StringBuilder sb = new StringBuilder(40);
            decimal(sb, avg1).append(' ');
            decimal(sb, avg5).append(' ');
            decimal(sb, avg15).append(' ');
            return sb.append(running).append('/').append(total).append(' ').append(lastPid).append('\n').toString();
        }

        private static StringBuilder decimal(StringBuilder sb, long fixed) {
            long x = fixed + FIXED_1 / 200;
            long frac = ((x & (FIXED_1 - 1)) * 100) >> FSHIFT;
            return sb.append(x >> FSHIFT).append('.').append(frac < 10 ? "0" : "").append(frac);
        }
    }

    /**
     * The kernel's calc_load: {@code load * e + active * (1 - e)} in fixed point, rounded up
     * while rising so a constant load converges to its exact value.
     */
    static long calcLoad(long load, long exp, long active) {
        long next = load * exp + active * (FIXED_1 - exp);
        if (active >= load) next += FIXED_1 - 1;
        return next / FIXED_1;
    }

    private final Host host;
    private final long intervalNanos;
    private final long idleNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<Cgroup, Node> nodes = new ConcurrentHashMap<>();
    /** The sampling scanner; used under passLock only. */
    private final CgroupTasks tasks;
    private final Object passLock = new Object();
    private volatile boolean closed;
    private Thread thread;

    public LoadavgSampler(Host host) {
        this(host, INTERVAL, IDLE_TIMEOUT, System::nanoTime);
    }

    /**
     * @param interval    time between passes (5 s; shorter in tests)
     * @param idleTimeout a container not read for this long is no longer sampled
     * @param nanoClock   monotonic wall clock in nanoseconds (System::nanoTime; fake in tests)
     */
    public LoadavgSampler(Host host, Duration interval, Duration idleTimeout, LongSupplier nanoClock) {
        if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("interval must be positive: " + interval);
        this.host = host;
        this.intervalNanos = interval.toNanos();
        this.idleNanos = idleTimeout.toNanos();
        this.clock = nanoClock;
        this.tasks = new CgroupTasks(host);
    }

    /** Starts the sampling thread (once). */
    public synchronized LoadavgSampler start() {
        if (closed) throw new IllegalStateException("closed");
        if (thread == null) thread = Thread.ofPlatform().daemon().name("jlxcfs-loadavg").start(this::run);
        return this;
    }

    /** Stops the thread, waiting for a running pass to finish. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        if (t == null) return;
        LockSupport.unpark(t);
        try {
            t.join(Math.max(1000, 2 * intervalNanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The container's load, registering it for sampling on its first read (with the counts of
     * this moment and averages 0). Empty when its cgroup does not exist.
     */
    public Optional<Load> load(Cgroup cgroup, int initPid) {
        long now = clock.getAsLong();
        Node node = nodes.get(cgroup);
        if (node == null) {
            // a scanner of our own: the sampling one belongs to the sampling thread
            CgroupTasks scanner = new CgroupTasks(host);
            Node fresh = new Node(cgroup, cgroup.directory(), scanner.nsLevel(initPid));
            Sample s = fresh.scan(scanner);
            if (s == null) return Optional.empty();
            fresh.load = new Load(0, 0, 0, s.running, s.total, s.lastPid);
            fresh.lastRead = now;
            node = nodes.putIfAbsent(cgroup, fresh);
            if (node == null) return Optional.of(fresh.load);
        }
        node.lastRead = now;
        return Optional.of(node.load);
    }

    /** Containers being sampled. */
    public int size() {
        return nodes.size();
    }

    /** One pass over all containers, as one 5-second tick. */
    public void sampleOnce() {
        pass(1);
    }

    private void run() {
        long next = clock.getAsLong() + intervalNanos;
        while (!closed) {
            long wait = next - clock.getAsLong();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait); // woken early by close() or spuriously: loop re-checks
                continue;
            }
            long missed = -wait / intervalNanos;
            next += (missed + 1) * intervalNanos;
            try {
                pass((int) Math.min(missed + 1, MAX_TICKS));
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "loadavg pass failed", e);
            }
        }
    }

    private void pass(int ticks) {
        synchronized (passLock) {
            long now = clock.getAsLong();
            for (Node node : nodes.values()) {
                if (now - node.lastRead > idleNanos) {
                    nodes.remove(node.cgroup, node);
                    continue;
                }
                try {
                    Sample s = node.scan(tasks);
                    if (s == null) {
                        nodes.remove(node.cgroup, node); // the container is gone
                        continue;
                    }
                    node.update(s, ticks);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "loadavg sample of " + node.cgroup + " failed", e);
                }
            }
        }
    }

    private record Sample(int running, int active, int total, int lastPid) {}

    /** A sampled container. Everything but {@code load} and {@code lastRead} is the sampler's. */
    private static final class Node {
        final Cgroup cgroup;
        final Path dir;
        final int nsLevel;
        volatile long lastRead;
        volatile Load load;
        /** Namespace pids of the last pass, and the buffer for this one (swapped each pass). */
        private PidCache known = new PidCache(), spare = new PidCache();

        Node(Cgroup cgroup, Path dir, int nsLevel) {
            this.cgroup = cgroup;
            this.dir = dir;
            this.nsLevel = nsLevel;
        }

        /** Counts the tasks now; null when the cgroup is gone. */
        Sample scan(CgroupTasks t) {
            if (!t.scanPids(dir)) return null;
            int n = t.pidCount();
            PidCache old = known, next = spare;
            next.reset(n);
            int running = 0, blocked = 0, total = 0, last = 0, j = 0;
            for (int i = 0; i < n; i++) {
                int pid = t.pid(i);
                if (!t.scanProcess(pid)) continue;
                running += t.running();
                blocked += t.blocked();
                total += t.threads();
                long start = t.startTime();
                // pids are sorted in both lists: one merge walk finds the ones seen last pass
                while (j < old.size && old.pids[j] < pid) j++;
                int ns = j < old.size && old.pids[j] == pid && old.starts[j] == start && start >= 0
                        ? old.ns[j] : t.nsPid(pid, nsLevel);
                next.add(pid, start, ns);
                if (ns > last) last = ns;
            }
            known = next;
            spare = old;
            return new Sample(running, running + blocked, total, last);
        }

        void update(Sample s, int ticks) {
            Load prev = load;
            long active = s.active * FIXED_1;
            long a1 = prev.avg1, a5 = prev.avg5, a15 = prev.avg15;
            for (int i = 0; i < ticks; i++) {
                a1 = calcLoad(a1, EXP_1, active);
                a5 = calcLoad(a5, EXP_5, active);
                a15 = calcLoad(a15, EXP_15, active);
            }
            load = new Load(a1, a5, a15, s.running, s.total, s.lastPid);
        }
    }

    /** Sorted host pids with their start times and namespace pids; grows, never shrinks. */
    private static final class PidCache {
        int[] pids = new int[16];
        long[] starts = new long[16];
        int[] ns = new int[16];
        int size;

        void reset(int capacity) {
            size = 0;
            if (pids.length < capacity) {
                int c = Math.max(capacity, pids.length * 2);
                pids = Arrays.copyOf(pids, c);
                starts = Arrays.copyOf(starts, c);
                ns = Arrays.copyOf(ns, c);
            }
        }

        void add(int pid, long start, int nsPid) {
            pids[size] = pid;
            starts[size] = start;
            ns[size] = nsPid;
            size++;
        }
    }
}
