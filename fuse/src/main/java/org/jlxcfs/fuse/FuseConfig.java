package org.jlxcfs.fuse;

/**
 * How a {@link FuseSession} mounts and serves.
 *
 * @param fsName      the mount's source name, shown in mountinfo (type is {@code fuse.<subtype>})
 * @param subtype     shown as {@code fuse.<subtype>} in /proc/self/mountinfo
 * @param threads     worker threads, each reading its own cloned /dev/fuse fd
 * @param readdirplus let the kernel use READDIRPLUS (entries and attributes in one round trip)
 * @param allowOther  let every user, not only the mounting one, use the mount (containers need it)
 * @param pinWorkers  pin each worker thread to its share of the CPUs ({@link WorkerPinning})
 */
public record FuseConfig(String fsName, String subtype, int threads, boolean readdirplus, boolean allowOther,
                         boolean pinWorkers) {
    public FuseConfig {
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads must be between 1 and 64, got " + threads);
        }
    }

    /**
     * Two per CPU, at most 4. Once readers keep the CPUs busy, the scheduler shares each CPU among
     * its runnable threads: a second worker per CPU keeps the queue served while the other is
     * preempted by a reader. Measured on 2 CPUs, 8 readers of proc/loadavg: 14-15k reads/s with
     * 2 workers, 27k with 4 (1 reader: the same within the noise); docs/fuse-layer.md.
     */
    public static int defaultThreads() {
        return Math.min(2 * Runtime.getRuntime().availableProcessors(), 4);
    }

    public static FuseConfig defaults(String name) {
        return new FuseConfig(name, name, defaultThreads(), true, true, true);
    }

    public FuseConfig withThreads(int n) {
        return new FuseConfig(fsName, subtype, n, readdirplus, allowOther, pinWorkers);
    }

    public FuseConfig withPinWorkers(boolean pin) {
        return new FuseConfig(fsName, subtype, threads, readdirplus, allowOther, pin);
    }
}
